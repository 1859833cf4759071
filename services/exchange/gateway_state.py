"""What the gateway keeps for the life of the process: one pooled HTTP client for all forwarded calls
(connection reuse is most of the gateway's speed) and the call recorder. Both are closed at shutdown."""

from __future__ import annotations

import asyncio

from hubkit.egress import EgressPolicy
from hubkit.egress_session import EgressSession
from hubkit.service import ServiceHost

from exchange.service import admission
from exchange.storage.recorder import CallRecorder


class GatewayState:
    def __init__(self, egress_allow: str = "") -> None:
        # Every connection is judged by the egress policy: a provider's endpoint must be public (or allowed).
        self.policy = EgressPolicy.parse(egress_allow)
        self._client: EgressSession | None = None
        self.recorder = CallRecorder()
        self.routes = admission.RouteCache()

    @property
    def client(self) -> EgressSession:
        """Made on first use: an aiohttp session belongs to the running event loop."""
        if self._client is None:
            self._client = EgressSession(self.policy, limit=200, timeout=5.0)
        return self._client

    async def hold(self, host: ServiceHost) -> None:
        """A background job that owns the client: it runs until shutdown, then closes what is open."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.recorder.close()
            if self._client is not None:
                await self._client.close()
