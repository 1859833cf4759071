"""Where the hub may connect on others' behalf (the gateway's providers, departments' webhooks).

A destination registered by a department must not turn the hub into a way in: only http/https, and
only to public addresses. Loopback, private, link-local (cloud metadata at 169.254.169.254), shared,
reserved, multicast and unspecified addresses are refused, IPv4 and IPv6 alike, whatever spelling
names them (`2130706433`, `0177.0.0.1`, `[::ffff:127.0.0.1]` are all resolved first, then judged).
`HUB_EGRESS_ALLOW` lets named exceptions through: CIDRs, addresses or host names, each optionally
with `:port` (the demo and the tests allow exactly their own local providers).

The check is made twice: on registration (a 422 that says why) and on every connection, against the
address actually connected to: `EgressClient` resolves, judges and connects to the judged address
itself, so a name that resolves elsewhere by the time of the call (DNS rebinding) gets nowhere.
Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressRefused(Exception):
    """A destination the policy does not allow; the message says which rule refused it."""


@dataclass(frozen=True)
class _Rule:
    network: IPNetwork | None
    host: str | None
    port: int | None

    def matches(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        return self.host == host.lower().rstrip(".")


def _parse_rule(entry: str) -> _Rule:
    entry = entry.strip()
    port: int | None = None
    if entry.startswith("["):  # [v6]:port or [v6/len]:port
        inner, _, rest = entry[1:].partition("]")
        entry, port = inner, int(rest[1:]) if rest.startswith(":") else None
    elif entry.count(":") == 1:
        entry, _, port_text = entry.partition(":")
        port = int(port_text)
    try:
        return _Rule(ipaddress.ip_network(entry, strict=False), None, port)
    except ValueError:
        return _Rule(None, entry.lower().rstrip("."), port)


@dataclass(frozen=True)
class EgressPolicy:
    rules: tuple[_Rule, ...] = ()

    @classmethod
    def parse(cls, text: str | Iterable[str] | None) -> EgressPolicy:
        entries = text.split(",") if isinstance(text, str) else list(text or [])
        return cls(tuple(_parse_rule(e) for e in entries if e.strip()))

    def allowed(self, host: str, address: IPAddress, port: int) -> str | None:
        """None when the hub may connect there; else why not."""
        if any(rule.matches(host, address, port) for rule in self.rules):
            return None
        judged = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped \
            else address
        if judged.is_unspecified:
            return f"{address} is an unspecified address"
        if judged.is_loopback:
            return f"{address} is a loopback address"
        if judged.is_link_local:
            return f"{address} is link-local (cloud metadata lives there)"
        if judged.is_multicast:
            return f"{address} is a multicast address"
        if judged.is_private or not judged.is_global:
            return f"{address} is not a public address"
        return None

    def check_url(self, url: str) -> tuple[str, str, int]:
        """Scheme, host and port of a destination URL, or EgressRefused (no name resolution here)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise EgressRefused(f"only http and https destinations are allowed, not {parts.scheme or 'none'!r}")
        if parts.username or parts.password:
            raise EgressRefused("credentials in the URL are not allowed")
        host = parts.hostname
        if not host:
            raise EgressRefused("the URL names no host")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise EgressRefused("the URL's port is not a number from 1 to 65535") from None
        return parts.scheme, host, port

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address the name resolves to, each judged; EgressRefused when any is refused (a name
        that mixes public and internal addresses is not trusted with either)."""
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise EgressRefused(f"{host} does not resolve ({exc.__class__.__name__})") from None
        addresses: list[IPAddress] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if (why := self.allowed(host, address, port)) is not None:
                raise EgressRefused(f"{host} resolves to {why}")
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise EgressRefused(f"{host} does not resolve")
        return addresses

    async def check_destination(self, url: str) -> None:
        """Registration-time check: the URL's form and where its host resolves now."""
        _, host, port = self.check_url(url)
        await self.resolve(host, port)


def confine_path(base_url: str, path: str) -> str:
    """The URL for `path` under `base_url`, refusing anything that would leave the base path once
    decoded (`..`, `.`, encoded slashes decoded any number of times, backslashes, NUL)."""
    return base_url.rstrip("/") + "/" + confined(path)


def confined(path: str) -> str:
    """`path` re-encoded as segments that stay under any base path, or EgressRefused: the check needs no base,
    so a caller can refuse a bad path before anything else (a quota, a lookup) is spent on the request."""
    decoded = path
    for _ in range(5):  # %25252F… decodes one layer at a time
        step = unquote(decoded)
        if step == decoded:
            break
        decoded = step
    else:
        raise EgressRefused("the path is encoded too many times")
    segments = decoded.split("/")
    if any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        raise EgressRefused("the path may not leave the provider's registered base path")
    return "/".join(quote(s, safe="!$&'()*+,;=:@-._~") for s in segments)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and judges every connection itself, then connects to the judged address."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy, self.inner = policy, httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.policy.resolve(host, port)
        except EgressRefused as exc:
            raise httpcore.ConnectError(f"egress refused: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("egress refused: unix sockets are not a destination")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def egress_client(policy: EgressPolicy, **options: Any) -> httpx.AsyncClient:
    """An httpx client whose every connection goes through the policy (no redirects, no proxies
    from the environment)."""
    limits = options.pop("limits", httpx.Limits(max_connections=100, max_keepalive_connections=20))
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(  # the same pool httpx builds, with our network backend
        ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=_GuardedBackend(policy))
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False, **options)


def refused(exc: BaseException) -> str | None:
    """The policy's reason when an httpx error came from a refused destination."""
    text = str(exc)
    return text.removeprefix("egress refused: ") if text.startswith("egress refused: ") else None
