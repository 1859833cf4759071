"""Use cases of a subscription's life and of calling systems: one transaction each, with its event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from hubkit.auth import Role
from hubkit.problems import conflict, not_found

from exchange.domain import keys
from exchange.domain import subscriptions as life
from exchange.domain.requests import AccessRequest, TransitionRefused
from exchange.service import commands as c
from exchange.service.handlers import problem_of
from exchange.service.ports import ExchangeUnitOfWork

QUOTA_KEPT = timedelta(days=2)  # counters of older windows are pruned by the watcher


def _step(req: AccessRequest, cmd: c.ChangeSubscription) -> tuple[AccessRequest, life.Actor | None]:
    bureau = cmd.actor.role is Role.operator
    if cmd.action == "ask-renewal":
        return life.ask_renewal(req, cmd.actor.unit or "", cmd.at), None
    by = life.actor_of(req, cmd.actor.unit, bureau)
    if cmd.action == "renew":
        return life.renew(req, by, cmd.valid_days or 0, cmd.at), by
    if cmd.action == "revoke":
        return life.revoke(req, by, cmd.reason, cmd.at), by
    if cmd.action == "quota":
        return life.set_quota(req, cmd.per_minute, cmd.per_day), by
    if not bureau:  # suspension is the bureau's answer to abuse; a provider that wants out revokes
        raise TransitionRefused(f"role: only the bureau may {cmd.action} a subscription", status=403)
    if cmd.action == "suspend":
        return life.suspend(req, cmd.reason, cmd.at), by
    return life.resume(req), by


async def change(cmd: c.ChangeSubscription, uow: ExchangeUnitOfWork) -> AccessRequest:
    async with uow:
        req = await uow.rows.get_request(cmd.request_id, for_update=True)
        if req is None or req.status not in life.HELD:
            raise not_found("subscription", cmd.request_id)
        if cmd.actor.role is Role.department and cmd.actor.unit not in (req.requester, req.provider):
            raise not_found("subscription", cmd.request_id)  # another unit's business is not even named
        try:
            after, by = _step(req, cmd)
        except TransitionRefused as exc:
            raise problem_of(exc) from None
        await uow.rows.save_request(after)
        if by is not None and (event := life.changed(req, after, by, cmd.reason)) is not None:
            uow.emit(event, unit=after.requester, at=cmd.at)
        await uow.commit()
    return after


async def expire(now: datetime, uow: ExchangeUnitOfWork) -> int:
    """One pass of the watcher: each term that ended is expired once, at the instant it ended."""
    async with uow:
        due = await uow.rows.due_expiry(now)
        for req in due:
            after = life.expire(req)
            await uow.rows.save_request(after)
            event = life.changed(req, after, "clock")
            assert event is not None and req.expires_at is not None
            uow.emit(event, unit=after.requester, at=req.expires_at)
        await uow.rows.prune_quota(now - QUOTA_KEPT)
        await uow.commit()
    return len(due)


async def register_system(cmd: c.RegisterSystem, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    """A calling system of the unit, with its key (in the answer only: the hub keeps its hash)."""
    system_id = f"s-{uuid.uuid4().hex[:12]}"
    key, digest, hint = keys.new_key(system_id)
    async with uow:
        row = await uow.rows.insert_system(system_id=system_id, unit=cmd.unit, name=cmd.name, key_hash=digest,
                                           hint=hint, at=cmd.at)
        if row is None:
            raise conflict(f"name: {cmd.unit} already has a calling system named {cmd.name!r}")
        await uow.commit()
    return {**dict(row), "key": key}


async def change_system(cmd: c.ChangeSystem, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    async with uow:
        row = await uow.rows.system(cmd.system_id, for_update=True)
        if row is None or (cmd.actor.role is Role.department and row["unit"] != cmd.actor.unit):
            raise not_found("calling system", cmd.system_id)
        if row["revoked_at"] is not None:
            raise conflict(f"status: calling system {cmd.system_id} was revoked; register a new one")
        if cmd.action == "revoke":
            out = dict(await uow.rows.revoke_system(cmd.system_id, cmd.at))
        else:
            key, digest, hint = keys.new_key(cmd.system_id)
            out = {**dict(await uow.rows.rotate_system(cmd.system_id, digest, hint, cmd.at)), "key": key}
        await uow.commit()
    return out
