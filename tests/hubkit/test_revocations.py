"""Revoked tokens (#14.6): a token revoked at one service is refused by every service within moments, a
subject's revocation covers the tokens issued until then and not those issued after, and a service that
restarts while the broker is away still refuses what it had read."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from catalog.bootstrap import create_app as catalog_app
from catalog.settings import CatalogSettings
from exchange.bootstrap import create_app as exchange_app
from exchange.settings import ExchangeSettings
from hubkit.auth import MAX_TOKEN_SECONDS, Principal, Role, mint_token, verify_token
from hubkit.revocations import Revocation, RevocationList, new_revocation
from hubkit.runtime.ports import free_port
from hubkit.settings import DEV_SECRET
from hubkit.testing import fresh_database, running_app


def principal(token: str) -> Principal:
    return verify_token(DEV_SECRET, token)


def test_the_list_covers_one_token_or_a_subjects_tokens_issued_until_then() -> None:
    now = time.time()
    listed = RevocationList()
    a, b = mint_token(DEV_SECRET, role="auditor", subject="auditor:li"), mint_token(DEV_SECRET, role="auditor")
    listed.add(new_revocation(jti=principal(a).jti, subject=None, issued_before=None, reason="lost", by="op", now=now))
    assert listed.revoked(principal(a)) and not listed.revoked(principal(b))
    listed.add(new_revocation(jti=None, subject="auditor:li", issued_before=datetime.fromtimestamp(now - 60, UTC),
                              reason="left", by="op", now=now))
    old = Principal("auditor:li", Role.auditor, issued_at=int(now) - 61)
    new = Principal("auditor:li", Role.auditor, issued_at=int(now) - 59)
    assert listed.revoked(old) and not listed.revoked(new)
    # Kept as long as a covered token can live; then forgotten.
    r = next(iter(listed.jtis.values()))
    assert r >= now + MAX_TOKEN_SECONDS - 1
    listed.forget_expired(now + 2 * MAX_TOKEN_SECONDS)
    assert not listed.jtis and not listed.subjects


def test_a_revocation_travels_as_json_and_a_malformed_one_is_refused() -> None:
    r = new_revocation(jti=None, subject="s", issued_before=None, reason="r", by="op")
    assert Revocation.from_json(r.to_json()) == r
    no_expiry = b'{"id": "%s", "jti": "j"}' % str(uuid.uuid4()).encode()
    for bad in (b"{}", b'{"id": "x", "expires_at": 1}', b"[]", no_expiry):
        with pytest.raises((ValueError, TypeError)):
            Revocation.from_json(bad)


def test_no_token_outlives_what_a_revocation_keeps() -> None:
    with pytest.raises(ValueError):
        mint_token(DEV_SECRET, role="operator", ttl_seconds=MAX_TOKEN_SECONDS + 1)


@pytest.mark.integration
async def test_a_token_revoked_at_one_service_is_refused_by_another_and_after_a_restart(
        pg_server: str, kafka_bootstrap: str) -> None:
    unit = "11450000MB0000019D"
    tag = uuid.uuid4().hex[:8]
    operator = {"Authorization": "Bearer " + mint_token(DEV_SECRET, role="operator", subject=f"operator:{tag}")}
    lost = mint_token(DEV_SECRET, role="department", unit=unit, subject=f"windows:{tag}")
    kept = mint_token(DEV_SECRET, role="department", unit=unit, subject=f"other:{tag}")
    catalog = CatalogSettings(database_url=await fresh_database(pg_server), kafka_bootstrap=kafka_bootstrap,
                              outbox_poll_seconds=0.1)
    exchange_db = await fresh_database(pg_server)
    exchange = ExchangeSettings(database_url=exchange_db, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)

    async def status(client: httpx.AsyncClient, token: str) -> int:
        return (await client.get("/requests", headers={"Authorization": f"Bearer {token}"})).status_code

    async with running_app(catalog_app(catalog)) as cat, running_app(exchange_app(exchange)) as exc:
        assert await status(exc, lost) == 200
        refused = await cat.post("/admin/revocations", headers=operator, json={"jti": "x", "subject": "y",
                                                                                "reason": "both"})
        assert refused.status_code == 422
        department = await cat.post("/admin/revocations", json={"jti": principal(kept).jti, "reason": "mine"},
                                    headers={"Authorization": f"Bearer {kept}"})
        assert department.status_code == 403  # only the bureau revokes
        done = await cat.post("/admin/revocations", headers=operator,
                              json={"subject": f"windows:{tag}", "reason": "laptop lost at the window"})
        assert done.status_code == 201, done.text
        # Refused at once where it was said ...
        r = await cat.get("/units", headers={"Authorization": f"Bearer {lost}"})
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
        # ... and by the other service as soon as it read the platform topic.
        deadline = time.monotonic() + 30
        while await status(exc, lost) != 401 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert await status(exc, lost) == 401
        assert await status(exc, kept) == 200  # another subject's token still works
        listed = (await exc.get("/admin/revocations", headers=operator)).json()
        assert [x["subject"] for x in listed] == [f"windows:{tag}"]
    await asyncio.sleep(1.1)  # a token issued after the revocation is not covered by it
    renewed = mint_token(DEV_SECRET, role="department", unit=unit, subject=f"windows:{tag}")

    # The exchange restarts with the broker out of reach: what it had read is still refused.
    away = exchange.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})
    async with running_app(exchange_app(away)) as exc:
        assert await status(exc, lost) == 401
        assert await status(exc, renewed) == 200
