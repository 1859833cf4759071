"""The bureau's decisions on the same data collected by several units (domain/duplicates.py proposes them)."""

from __future__ import annotations

from typing import Any

from contracts.catalog import DuplicateDecided
from hubkit.auth import Role
from hubkit.problems import conflict, invalid, not_found

from catalog.domain.duplicates import pair
from catalog.domain.resources import Resource
from catalog.service import commands as c
from catalog.service.ports import CatalogUnitOfWork


def _check_request(cmd: c.DecideDuplicate) -> tuple[str, str]:
    a, b = pair(*cmd.codes)
    if a == b:
        raise invalid("codes: a resource is not a duplicate of itself")
    if cmd.decision == "confirm" and cmd.authoritative not in (a, b):
        raise invalid("authoritative: a confirmed duplicate names which of the two is the authoritative source "
                      "(一数一源)")
    if cmd.decision == "dismiss" and cmd.authoritative is not None:
        raise invalid("authoritative: a dismissed candidate names no authoritative source")
    return a, b


def _check_pair(x: Resource, y: Resource) -> None:
    for r in (x, y):
        if r.catalog_kind != "department" or r.status != "published":
            raise invalid(f"codes: {r.code} is not a published department resource")
    if x.provider == y.provider:
        raise invalid("codes: both resources are of one unit; duplicates are across units")


async def decide(cmd: c.DecideDuplicate, uow: CatalogUnitOfWork) -> dict[str, Any]:
    cmd.actor.require(Role.operator)
    a, b = _check_request(cmd)
    async with uow:
        x, y = await uow.resources.get(a), await uow.resources.get(b)
        if x is None or y is None:
            raise not_found("resource", a if x is None else b)
        _check_pair(x, y)
        if (before := await uow.duplicates.get(a, b)) is not None:
            raise conflict(f"codes: the pair was {before['decision']} at {before['decided_at']}")
        decision = "confirmed" if cmd.decision == "confirm" else "dismissed"
        await uow.duplicates.decide(a=a, b=b, decision=decision, authoritative=cmd.authoritative, reason=cmd.reason,
                                    at=cmd.at)
        unit = (x if cmd.authoritative in (None, a) else y).provider
        uow.emit(DuplicateDecided(resource_codes=[a, b], decision=decision, authoritative=cmd.authoritative,
                                  reason=cmd.reason), unit=unit, at=cmd.at)
        await uow.commit()
    return {"codes": [a, b], "decision": decision, "authoritative": cmd.authoritative, "reason": cmd.reason,
            "decided_at": cmd.at}
