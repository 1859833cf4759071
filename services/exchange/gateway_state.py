"""What the gateway keeps for the life of the process: one pooled HTTP client for all forwarded calls
(connection reuse is most of the gateway's speed) and the call recorder. Both are closed at shutdown."""

from __future__ import annotations

import asyncio

import httpx
from hubkit.egress import EgressPolicy, egress_client
from hubkit.service import ServiceHost

from exchange.storage.recorder import CallRecorder


class GatewayState:
    def __init__(self, egress_allow: str = "") -> None:
        # Every connection is judged by the egress policy: a provider's endpoint must be public (or allowed).
        self.policy = EgressPolicy.parse(egress_allow)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        self.client = egress_client(self.policy, limits=limits, timeout=httpx.Timeout(5.0))
        self.recorder = CallRecorder()

    async def hold(self, host: ServiceHost) -> None:
        """A background job that owns the client: it runs until shutdown, then closes what is open."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.recorder.close()
            await self.client.aclose()
