"""The gateway's forwarding client: a pooled aiohttp session under the egress policy (hubkit.egress).

Why aiohttp and not the httpx client the webhooks use: measured on the gateway benchmark, httpcore spends
most of a forwarded call checking every pooled connection (a `getpeername` per idle connection per
request) and crossing anyio's locks and cancel scopes; aiohttp's connector reuses a connection in a few
microseconds. The policy is the same and is applied at the same point, the connection:

- a host name goes through `_JudgingResolver`: resolved, every address judged, and the connector connects
  to the judged addresses only (a rebinding DNS gets nowhere; aiohttp caches the judged answer briefly);
- an address literal never reaches a resolver in aiohttp (its connector uses it as is), so `request` judges
  it before anything is sent, with exactly aiohttp's test of what counts as a literal.

Redirects are never followed, proxies from the environment are ignored, unix sockets are not a destination.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import is_ip_address

from .egress import EgressPolicy, EgressRefused


class EgressRefusedError(aiohttp.ClientConnectionError):
    """The policy refused the destination; the message says why (prefix 'egress refused: ')."""


class _JudgingResolver(AbstractResolver):
    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        try:
            addresses = await self.policy.resolve(host, port)
        except EgressRefused as exc:
            # aiohttp turns an OSError from the resolver into a connection error showing its strerror
            raise OSError(errno.EACCES, f"egress refused: {exc}") from None
        return [ResolveResult(hostname=host, host=str(a), port=port,
                              family=socket.AF_INET6 if a.version == 6 else socket.AF_INET, proto=0,
                              flags=socket.AI_NUMERICHOST) for a in addresses]

    async def close(self) -> None:
        return None


class EgressSession:
    """`request` as aiohttp's, every destination judged; create inside a running event loop, `close` at the end."""

    def __init__(self, policy: EgressPolicy, *, limit: int = 200, timeout: float = 5.0) -> None:
        self.policy = policy
        self._literals: dict[tuple[str, int], str | None] = {}
        connector = aiohttp.TCPConnector(limit=limit, resolver=_JudgingResolver(policy), ttl_dns_cache=10)
        self.session = aiohttp.ClientSession(connector=connector, trust_env=False,
                                             timeout=aiohttp.ClientTimeout(total=timeout))

    def judge_literal(self, url: str) -> None:
        """Refuse an address literal the policy does not allow (names are judged by the resolver)."""
        try:
            _, host, port = self.policy.check_url(url)
        except EgressRefused as exc:
            raise EgressRefusedError(f"egress refused: {exc}") from None
        if not is_ip_address(host):
            return
        key = (host, port)
        if key not in self._literals:
            try:
                why = self.policy.allowed(host, ipaddress.ip_address(host), port)
            except ValueError:
                why = f"{host} is not a canonical address"
            if len(self._literals) > 10_000:  # a bounded memo: endpoints are few, but never trust that
                self._literals.clear()
            self._literals[key] = why
        if (why := self._literals[key]) is not None:
            raise EgressRefusedError(f"egress refused: {why}")

    def request(self, method: str, url: str, **options: Any) -> aiohttp.client._RequestContextManager:
        self.judge_literal(url)
        return self.session.request(method, url, allow_redirects=False, **options)

    async def close(self) -> None:
        await self.session.close()
