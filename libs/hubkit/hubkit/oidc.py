"""Bearer tokens from an external OpenID Connect provider (RS256 / ES256, keys from its JWKS URL), beside
the hub's own HS256 tokens.

A province runs its own identity provider; the hub trusts the keys it publishes. The key set is fetched
when the service starts and refreshed in the background (never while a request waits: verification reads
only what is in memory), and a token signed with a key id not yet known asks for an early refresh, at most
once every `MIN_REFRESH_SECONDS`, so a rotated key is picked up within seconds without letting a stream of
made-up key ids hammer the provider. The token's algorithm must be the key's own (no RS256 token verified
with an EC key, no HS256 token verified with a public key as its secret); issuer, audience and expiry are
required. Role and unit come from claims the provider is configured to issue (`hub_role`, `hub_unit`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from .auth import MAX_TOKEN_SECONDS, Principal, Role, verified
from .problems import Problem
from .revocations import RevocationList
from .telemetry import get_logger

log = get_logger(__name__)
ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}  # what an external token may be signed with -> the key type
MIN_REFRESH_SECONDS = 10.0
LEEWAY_SECONDS = 30  # clock skew allowed between the provider and the hub
MEMO_SIZE = 50_000  # tokens remembered as verified


@dataclass(frozen=True)
class OidcConfig:
    jwks_url: str
    issuer: str
    audience: str = "gov-hub"
    role_claim: str = "hub_role"
    unit_claim: str = "hub_unit"
    refresh_seconds: float = 300.0


class JwksKeys:
    """The provider's signing keys by key id, as last fetched."""

    def __init__(self, config: OidcConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.keys: dict[str, jwt.PyJWK] = {}
        self._client = client
        self._last_fetch = 0.0
        self._wanted = asyncio.Event()

    async def refresh(self) -> None:
        """Fetch the key set; keys that are not for signing or not of an accepted type are left out."""
        client = self._client or httpx.AsyncClient(timeout=5.0, follow_redirects=False)
        try:
            r = await client.get(self.config.jwks_url, headers={"Accept": "application/json"})
            r.raise_for_status()
            found = r.json().get("keys")
        finally:
            # The interval runs from the end of a fetch, so the provider never sees two closer than it.
            self._last_fetch = time.monotonic()
            if self._client is None:
                await client.aclose()
        if not isinstance(found, list):
            raise ValueError("the JWKS document has no list of keys")
        keys: dict[str, jwt.PyJWK] = {}
        for raw in found:
            if not isinstance(raw, dict) or not raw.get("kid") or raw.get("use", "sig") != "sig":
                continue
            if raw.get("kty") not in ALGORITHMS.values():
                continue
            try:
                keys[str(raw["kid"])] = jwt.PyJWK(raw, algorithm=raw.get("alg"))
            except jwt.PyJWTError as exc:
                log.warning("JWKS key left out", kid=raw.get("kid"), error=str(exc))
        self.keys = keys
        log.info("OIDC signing keys loaded", count=len(keys))

    def want(self) -> None:
        """An unknown key id was seen: refresh early (the loop decides when)."""
        self._wanted.set()

    async def run(self) -> None:
        """Refresh every `refresh_seconds`, sooner when asked, never more often than `MIN_REFRESH_SECONDS`;
        a failed fetch keeps the keys there were and tries again."""
        while True:
            wait = self.config.refresh_seconds if self.keys else MIN_REFRESH_SECONDS
            try:
                await asyncio.wait_for(self._wanted.wait(), timeout=wait)
            except TimeoutError:
                pass
            self._wanted.clear()
            pause = MIN_REFRESH_SECONDS - (time.monotonic() - self._last_fetch)
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                await self.refresh()
            except Exception as exc:  # the provider is down: keep the keys we have
                log.warning("OIDC key refresh failed", error=repr(exc))


@dataclass(frozen=True)
class _Verified:
    who: Principal
    until: float  # epoch seconds: past it, the token is verified again (and refused as expired)
    external: bool
    keyset: object  # the provider's key set it was verified with (None: the hub's own secret)


class TokenVerifier:
    """Who a bearer token is: the hub's own HS256 tokens and, when configured, the provider's."""

    def __init__(self, secret: str, keys: JwksKeys | None = None, revoked: RevocationList | None = None) -> None:
        self.secret = secret
        self.keys = keys
        self.revoked = revoked
        self._memo: dict[tuple[str, str | None], _Verified] = {}

    def verify(self, token: str, *, purpose: str | None = None) -> Principal:
        """Who the token names. A token verified once is remembered until it expires (a signature check is
        most of an authenticated call's cost on the gateway's path); revocation is checked on every use, and
        an external token is verified afresh once the provider's key set has been refreshed."""
        memo = self._memo.get((token, purpose))
        if memo is not None and time.time() < memo.until and memo.keyset is self._keyset(memo.external):
            who = memo.who
        else:
            who, until, external = self._verify(token, purpose)
            if len(self._memo) >= MEMO_SIZE:  # bounded: forget all rather than track use (tokens are re-verifiable)
                self._memo.clear()
            self._memo[(token, purpose)] = _Verified(who, until, external, self._keyset(external))
        if self.revoked is not None and self.revoked.revoked(who):
            raise _unauthorized("this token was revoked")
        return who

    def _keyset(self, external: bool) -> object:
        return self.keys.keys if external and self.keys is not None else None

    def _verify(self, token: str, purpose: str | None) -> tuple[Principal, float, bool]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid bearer token: {exc}") from None
        alg = header.get("alg")
        if alg == "HS256":
            who, expires = verified(self.secret, token, purpose=purpose)
            return who, expires, False
        if self.keys is None or alg not in ALGORITHMS or purpose is not None:
            raise _unauthorized(f"tokens signed with {alg!r} are not accepted here")
        who, expires = self._external(token, str(alg), header.get("kid"))
        return who, expires + LEEWAY_SECONDS, True

    def _external(self, token: str, alg: str, kid: Any) -> tuple[Principal, int]:
        assert self.keys is not None
        config = self.keys.config
        key = self.keys.keys.get(str(kid)) if kid else None
        if key is None:
            self.keys.want()
            raise _unauthorized("the token's signing key is not (yet) known; try again shortly")
        if key.key_type != ALGORITHMS[alg] or (key.algorithm_name and key.algorithm_name != alg):
            raise _unauthorized(f"the key {kid} does not sign {alg} tokens")
        try:
            claims = jwt.decode(token, key.key, algorithms=[alg], issuer=config.issuer, audience=config.audience,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]}, leeway=LEEWAY_SECONDS)
            role = Role(str(claims.get(config.role_claim)))
        except (jwt.PyJWTError, ValueError) as exc:
            raise _unauthorized(f"invalid bearer token: {exc}") from None
        if claims["exp"] - claims["iat"] > MAX_TOKEN_SECONDS:  # a revocation must outlive what it revokes
            raise _unauthorized(f"tokens live at most {MAX_TOKEN_SECONDS} seconds")
        unit = claims.get(config.unit_claim)
        if role is Role.department and not (isinstance(unit, str) and unit):
            raise _unauthorized(f"department token without a {config.unit_claim} claim")
        return Principal(subject=f"oidc:{claims['sub']}", role=role, unit=unit if isinstance(unit, str) else None,
                         jti=str(claims.get("jti") or ""), issued_at=int(claims["iat"])), int(claims["exp"])


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, kind="unauthorized")
