"""What the gateway keeps for the life of the process: one pooled HTTP client for all forwarded calls
(connection reuse is most of the gateway's speed) and the call recorder. Both are closed at shutdown."""

from __future__ import annotations

import asyncio

import httpx
from hubkit.service import ServiceHost

from exchange.storage.recorder import CallRecorder


class GatewayState:
    def __init__(self) -> None:
        self.client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            timeout=httpx.Timeout(5.0), follow_redirects=False, trust_env=False)
        self.recorder = CallRecorder()

    async def hold(self, host: ServiceHost) -> None:
        """A background job that owns the client: it runs until shutdown, then closes what is open."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.recorder.close()
            await self.client.aclose()
