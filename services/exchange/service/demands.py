"""Demand for data not yet catalogued and the ratings of data used: the use cases and their reads.

A fulfilled demand becomes the requesting department's access request for the named resource in the same
transaction (through the usual workflow: an unconditional share is granted at once, a conditional one goes
to review), so nobody has to ask twice. A rating is given by a unit that held a subscription to the resource,
one per unit and resource (a later one replaces it).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg
from contracts.exchange import DemandChanged, ResourceRated
from hubkit.auth import Role
from hubkit.problems import forbidden, not_found

from exchange.domain import demands as flow
from exchange.domain.demands import Demand
from exchange.domain.requests import TransitionRefused
from exchange.service import commands as c
from exchange.service.handlers import open_request, problem_of
from exchange.service.ports import ExchangeUnitOfWork
from exchange.storage import demands as rows


def _said(uow: ExchangeUnitOfWork, d: Demand, step: str, at: datetime) -> None:
    """The step as `exchange.demand-changed`: about the requester while it is the bureau's to act on, about the
    provider once assigned to it (its answers and its lateness)."""
    unit = d.provider if step in ("assigned", "fulfilled", "refused", "overdue") and d.provider else d.requester
    uow.emit(DemandChanged(demand_id=d.id, step=step, requester_unit=d.requester, provider_unit=d.provider,
                           what=d.what, due=d.due, resource_code=d.resource_code, request_id=d.request_id,
                           reason=d.reason), unit=unit, at=at)


async def raise_demand(cmd: c.RaiseDemand, uow: ExchangeUnitOfWork) -> Demand:
    cmd.actor.require(Role.department)
    try:
        d = flow.raise_demand(f"dm-{uuid.uuid4().hex[:12]}", cmd.actor.unit or "", cmd.what, cmd.why,
                              cmd.suggested_provider, cmd.at)
    except TransitionRefused as exc:
        raise problem_of(exc) from None
    async with uow:
        await uow.demands.insert(d)
        _said(uow, d, "raised", cmd.at)
        await uow.commit()
    return d


async def _step(uow: ExchangeUnitOfWork, demand_id: str, step: str, at: datetime,
                change: Any) -> Demand:
    async with uow:
        d = await uow.demands.get(demand_id, for_update=True)
        if d is None:
            raise not_found("demand", demand_id)
        try:
            after = await change(d)
        except TransitionRefused as exc:
            raise problem_of(exc) from None
        await uow.demands.save(after)
        _said(uow, after, step, at)
        await uow.commit()
    return after


async def assign(cmd: c.AssignDemand, uow: ExchangeUnitOfWork) -> Demand:
    cmd.actor.require(Role.operator)

    async def change(d: Demand) -> Demand:
        return flow.assign(d, cmd.provider, cmd.days, cmd.at)
    return await _step(uow, cmd.demand_id, "assigned", cmd.at, change)


async def reject(cmd: c.RejectDemand, uow: ExchangeUnitOfWork) -> Demand:
    cmd.actor.require(Role.operator)

    async def change(d: Demand) -> Demand:
        return flow.reject(d, cmd.reason, cmd.at)
    return await _step(uow, cmd.demand_id, "rejected", cmd.at, change)


async def refuse(cmd: c.RefuseDemand, uow: ExchangeUnitOfWork) -> Demand:
    async def change(d: Demand) -> Demand:
        return flow.refuse(d, cmd.actor.unit or "", cmd.basis, cmd.at)
    return await _step(uow, cmd.demand_id, "refused", cmd.at, change)


async def fulfil(cmd: c.FulfilDemand, uow: ExchangeUnitOfWork) -> Demand:
    """The provider names the resource it catalogued; the demand becomes the requester's access request."""
    async def change(d: Demand) -> Demand:
        res = await uow.rows.resource(cmd.resource_code)
        if res is None:
            raise TransitionRefused(f"resource_code: {cmd.resource_code} is not (yet) a published resource the "
                                    "exchange knows; publish it in the catalog first", status=422)
        done = flow.fulfil(d, cmd.actor.unit or "", cmd.resource_code, res["provider"], cmd.at)
        req = await open_request(uow, res, d.requester, f"需求清单 {d.id}：{d.why}", cmd.at, cmd.terms)
        return replace(done, request_id=req.id)
    return await _step(uow, cmd.demand_id, "fulfilled", cmd.at, change)


async def flag_overdue(now: datetime, uow: ExchangeUnitOfWork) -> int:
    """Flag assigned demands whose deadline passed, once each (event time: the deadline)."""
    async with uow:
        due = [d for d in await uow.demands.due_overdue(now) if flow.overdue(d, now)]
        for d in due:
            flagged = replace(d, overdue_at=d.due)
            await uow.demands.save(flagged)
            _said(uow, flagged, "overdue", d.due or now)
        await uow.commit()
    return len(due)


async def rate(cmd: c.RateResource, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    cmd.actor.require(Role.department)
    consumer = cmd.actor.unit or ""
    async with uow:
        res = await uow.rows.resource(cmd.resource_code)
        if res is None:
            raise not_found("published resource", cmd.resource_code)
        if res["provider"] == consumer:
            raise forbidden("a provider does not rate its own data")
        if await uow.rows.latest_subscription(consumer, cmd.resource_code) is None:
            raise forbidden(f"{consumer} never held a subscription to {cmd.resource_code}: rate data you used")
        await uow.demands.rate(code=cmd.resource_code, consumer=consumer, provider=res["provider"],
                               quality=cmd.quality, timeliness=cmd.timeliness, usefulness=cmd.usefulness,
                               comment=cmd.comment, at=cmd.at)
        uow.emit(ResourceRated(resource_code=cmd.resource_code, provider_unit=res["provider"], quality=cmd.quality,
                               timeliness=cmd.timeliness, usefulness=cmd.usefulness, comment=cmd.comment),
                 unit=consumer, at=cmd.at)
        await uow.commit()
    return {"resource_code": cmd.resource_code, "consumer": consumer, "quality": cmd.quality,
            "timeliness": cmd.timeliness, "usefulness": cmd.usefulness, "comment": cmd.comment}


# Reads (the HTTP layer reaches storage only through the service layer).

async def get(pool: asyncpg.Pool, demand_id: str) -> Demand | None:
    async with pool.acquire() as conn:
        return await rows.get(conn, demand_id)


async def listed(pool: asyncpg.Pool, *, unit: str | None, status: str | None, limit: int) -> list[Demand]:
    async with pool.acquire() as conn:
        return await rows.listed(conn, unit=unit, status=status, limit=limit)


async def ratings(pool: asyncpg.Pool, code: str, limit: int) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return await rows.ratings(conn, code, limit)

