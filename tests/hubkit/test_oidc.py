"""Tokens from an external OpenID Connect provider (#14.6): RS256/ES256 verified with the keys of its JWKS
URL, issuer, audience, expiry and role required; the hub's own HS256 tokens still work; a rotated key is
picked up; no algorithm confusion."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from catalog.bootstrap import create_app
from catalog.settings import CatalogSettings
from contracts.values import make_uscc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hubkit import oidc
from hubkit.auth import Role
from hubkit.oidc import JwksKeys, OidcConfig, TokenVerifier
from hubkit.problems import Problem
from hubkit.settings import DEV_SECRET, HubSettings
from hubkit.testing import running_app, serving, token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ISS = "https://idp.gxzf.example/realms/gov"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ROTATED = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, kid: str) -> dict[str, Any]:
    algo = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    out: dict[str, Any] = algo.to_jwk(key.public_key(), as_dict=True)
    return out | {"kid": kid, "use": "sig", "alg": "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"}


class Provider:
    """A provider's JWKS endpoint whose key set the test changes."""

    def __init__(self) -> None:
        self.keys = [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1"), {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}]
        self.fetched_at: list[float] = []  # monotonic instants of the key-set requests

    @property
    def fetches(self) -> int:
        return len(self.fetched_at)

    async def jwks(self, request: Request) -> JSONResponse:
        self.fetched_at.append(time.monotonic())
        return JSONResponse({"keys": self.keys})


@pytest.fixture
async def provider() -> AsyncIterator[tuple[Provider, str]]:
    p = Provider()
    async with serving(Starlette(routes=[Route("/certs", p.jwks)])) as url:
        yield p, f"{url}/certs"


def external(key: Any, kid: str, alg: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISS, "aud": "gov-hub", "sub": "zhang.san", "iat": now, "exp": now + 600,
            "jti": uuid.uuid4().hex, "hub_role": "operator"} | claims
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})


async def verifier(url: str) -> TokenVerifier:
    keys = JwksKeys(OidcConfig(jwks_url=url, issuer=ISS))
    await keys.refresh()
    return TokenVerifier(DEV_SECRET, keys)


def refused(v: TokenVerifier, tok: str) -> str:
    with pytest.raises(Problem) as exc:
        v.verify(tok)
    assert exc.value.status == 401
    return str(exc.value.detail).lower()


async def test_rs256_and_es256_tokens_of_the_provider_are_accepted_beside_the_hubs_own(
        provider: tuple[Provider, str]) -> None:
    _, url = provider
    v = await verifier(url)
    assert v.keys is not None and set(v.keys.keys) == {"rsa-1", "ec-1"}  # the symmetric key is never taken
    op = v.verify(external(RSA_KEY, "rsa-1", "RS256"))
    assert (op.role, op.subject, op.unit) == (Role.operator, "oidc:zhang.san", None)
    unit = make_uscc("450000", "MB0000019")
    dept = v.verify(external(EC_KEY, "ec-1", "ES256", hub_role="department", hub_unit=unit))
    assert (dept.role, dept.unit) == (Role.department, unit)
    own = v.verify(token("auditor")["Authorization"][7:])
    assert own.role is Role.auditor


async def test_what_the_provider_did_not_vouch_for_is_refused(provider: tuple[Provider, str]) -> None:
    _, url = provider
    v = await verifier(url)
    assert "issuer" in refused(v, external(RSA_KEY, "rsa-1", "RS256", iss="https://evil.example/"))
    assert "audience" in refused(v, external(RSA_KEY, "rsa-1", "RS256", aud="another-app"))
    assert "expired" in refused(v, external(RSA_KEY, "rsa-1", "RS256", exp=int(time.time()) - 3600))
    refused(v, external(RSA_KEY, "rsa-1", "RS256", hub_role=None))
    refused(v, external(RSA_KEY, "rsa-1", "RS256", hub_role="superuser"))
    assert "hub_unit" in refused(v, external(RSA_KEY, "rsa-1", "RS256", hub_role="department"))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "signature" in refused(v, external(stranger, "rsa-1", "RS256"))
    # Algorithm confusion: an RS256 token naming the EC key, an ES256 one naming the RSA key, HS256 signed
    # with the provider's public key as if it were a secret, and no signature at all.
    assert "does not sign" in refused(v, external(RSA_KEY, "ec-1", "RS256"))
    assert "does not sign" in refused(v, external(EC_KEY, "rsa-1", "ES256"))
    pem = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    refused(v, _hs256_with(pem))
    unsigned = jwt.encode({"iss": ISS, "aud": "gov-hub", "sub": "x", "exp": int(time.time()) + 60,
                           "hub_role": "operator"}, None, algorithm="none")
    assert "not accepted" in refused(v, unsigned)
    # A console sign-in code is the hub's own, never the provider's.
    with pytest.raises(Problem):
        v.verify(external(RSA_KEY, "rsa-1", "RS256"), purpose="console-login")


def _hs256_with(key: bytes) -> str:
    """PyJWT refuses to sign HS256 with a PEM key; an attacker would not: sign by hand."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    body = b64(json.dumps({"iss": "gov-hub", "role": "operator", "exp": int(time.time()) + 60}).encode())
    mac = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


async def test_without_a_provider_only_the_hubs_own_tokens_count() -> None:
    v = TokenVerifier(DEV_SECRET)
    assert "not accepted" in refused(v, external(RSA_KEY, "rsa-1", "RS256"))
    assert v.verify(token("operator")["Authorization"][7:]).role is Role.operator


async def test_a_rotated_key_is_picked_up_after_an_early_refresh_never_more_often_than_allowed(
        provider: tuple[Provider, str], monkeypatch: pytest.MonkeyPatch) -> None:
    p, url = provider
    monkeypatch.setattr(oidc, "MIN_REFRESH_SECONDS", 0.3)
    v = await verifier(url)
    assert v.keys is not None
    p.keys = [jwk(ROTATED, "rsa-2")]
    rotated = external(ROTATED, "rsa-2", "RS256")
    assert "not (yet) known" in refused(v, rotated)
    loop = asyncio.create_task(v.keys.run())
    started = time.monotonic()
    try:
        for n in range(50):  # a stream of unknown key ids asks for refreshes; they stay rate-limited
            refused(v, external(ROTATED, f"made-up-{n}", "RS256"))
            await asyncio.sleep(0.02)
        deadline = asyncio.get_running_loop().time() + 5
        while "rsa-2" not in v.keys.keys and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert v.verify(rotated).subject == "oidc:zhang.san"
        assert "rsa-1" not in v.keys.keys  # the retired key is gone with the new set
        # The rate limit, judged by the provider rather than by how long this loop happened to take on a
        # loaded machine: no two fetches closer than the minimum interval, so 50 made-up key ids cost one
        # fetch per interval elapsed, not fifty.
        gaps = [b - a for a, b in zip(p.fetched_at, p.fetched_at[1:], strict=False)]
        assert gaps and min(gaps) >= 0.3, gaps
        assert p.fetches <= 2 + (time.monotonic() - started) / 0.3 < 50, p.fetches
    finally:
        loop.cancel()


async def test_a_remembered_token_still_expires_and_is_checked_for_revocation_and_key_rotation(
        provider: tuple[Provider, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens verified once are remembered (the gateway's path), never past what a fresh check would say."""
    from hubkit.auth import mint_token
    from hubkit.revocations import RevocationList

    p, url = provider
    v = await verifier(url)
    v.revoked = RevocationList()
    own = mint_token(DEV_SECRET, role="operator", ttl_seconds=60)
    theirs = external(RSA_KEY, "rsa-1", "RS256")
    checks = 0
    real = v._verify

    def counting(tok: str, purpose: str | None) -> Any:
        nonlocal checks
        checks += 1
        return real(tok, purpose)

    monkeypatch.setattr(v, "_verify", counting)
    for _ in range(3):
        assert v.verify(own).role is Role.operator and v.verify(theirs).subject == "oidc:zhang.san"
    assert checks == 2  # each signature checked once
    with pytest.raises(Problem):
        v.verify(own, purpose="console-login")  # remembered as a bearer token, not as anything else
    # Revocation is judged at every use.
    revoked = mint_token(DEV_SECRET, role="auditor")
    assert v.verify(revoked).role is Role.auditor
    v.revoked.jtis[v.verify(revoked).jti] = int(time.time()) + 3600
    assert "revoked" in refused(v, revoked)
    # Past its expiry, a remembered token is verified again and refused.
    brief = mint_token(DEV_SECRET, role="operator", ttl_seconds=1)
    assert v.verify(brief).role is Role.operator
    await asyncio.sleep(max(0.0, v._memo[(brief, None)].until - time.time()) + 0.05)
    assert "expired" in refused(v, brief)
    # A refreshed key set without the token's key: verified again, and refused.
    assert v.keys is not None
    p.keys = [jwk(ROTATED, "rsa-2")]
    await v.keys.refresh()
    assert "not (yet) known" in refused(v, theirs)


def test_settings_need_the_issuer_and_https_in_production() -> None:
    with pytest.raises(ValueError, match="HUB_OIDC_ISSUER"):
        HubSettings(oidc_jwks_url="https://idp.example/certs")
    with pytest.raises(ValueError, match="https"):
        HubSettings(environment="production", jwt_secret="x" * 40, kafka_security_protocol="SASL_SSL",
                    kafka_username="u", kafka_password="p", oidc_jwks_url="http://idp/certs", oidc_issuer=ISS)


@pytest.mark.integration
async def test_a_service_accepts_the_providers_department_token_for_its_own_unit_only(
        provider: tuple[Provider, str], database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    _, url = provider
    settings = CatalogSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                               oidc_jwks_url=url, oidc_issuer=ISS)
    unit = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    other = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    body = {"uscc": unit, "name": "自治区身份联合测试厅", "kind": "department", "division_code": "450000",
            "occurred_at": "2019-08-01T09:00:00+08:00"}
    op = {"Authorization": f"Bearer {external(RSA_KEY, 'rsa-1', 'RS256')}"}
    dept = {"Authorization": f"Bearer {external(EC_KEY, 'ec-1', 'ES256', hub_role='department', hub_unit=unit)}"}
    async with running_app(create_app(settings)) as client:
        assert (await client.put(f"/units/{unit}", json=body, headers=op)).status_code == 200
        assert (await client.get(f"/units/{unit}", headers=dept)).status_code == 200
        foreign = await client.put(f"/units/{other}", headers=dept, json=body | {"uscc": other})
        assert foreign.status_code == 403
        bad = await client.get(f"/units/{unit}", headers={"Authorization": "Bearer " + external(
            RSA_KEY, "rsa-1", "RS256", aud="other")})
        assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
        # the audit trail names the provider's subject
        trail = await client.get("/audit", headers=token("auditor"), params={"actor": "oidc:zhang.san"})
        assert trail.status_code == 200 and trail.json(), trail.text
