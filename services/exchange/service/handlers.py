"""The exchange's write use cases: one handler per command, each one transaction and its events."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.exchange import CallFailed, DataUsed, DisputeOverdue, DisputeUpheld, RequestOverdue
from contracts.workdays import working_deadline
from hubkit.auth import Role
from hubkit.problems import Problem, conflict, forbidden, invalid, not_found

from exchange.domain import requests as flow
from exchange.domain.requests import ANSWER_DAYS, AccessRequest, TransitionRefused, reported_late
from exchange.domain.subscriptions import standing_from
from exchange.service import commands as c
from exchange.service.ports import ExchangeUnitOfWork

_TITLES = {403: ("Forbidden", "forbidden"), 422: ("Invalid request", "invalid-request")}


def problem_of(exc: TransitionRefused) -> Problem:
    title, kind = _TITLES.get(exc.status, ("Conflict", "conflict"))
    return Problem(exc.status, title, str(exc), kind=kind)


def _emit_step(uow: ExchangeUnitOfWork, before: flow.Status | None, after: AccessRequest) -> None:
    for payload, at in flow.events_of(before, after):
        uow.emit(payload, unit=after.provider, at=at)


async def submit_request(cmd: c.SubmitRequest, uow: ExchangeUnitOfWork) -> AccessRequest:
    async with uow:
        res = await uow.rows.resource(cmd.resource_code)
        if res is None:
            raise not_found("published resource", cmd.resource_code)
        req = await open_request(uow, res, cmd.requester, cmd.purpose, cmd.at, cmd.terms)
        await uow.commit()
    return req


async def open_request(uow: ExchangeUnitOfWork, res: Any, requester: str, purpose: str, at: datetime,
                       terms: flow.Terms) -> AccessRequest:
    """A new access request of `requester` for the resource, written with its first step's events (inside the
    caller's transaction). Another unit's secret resource (涉密, seed 003 §5.1.2) does not exist for it."""
    if res.get("secret") and requester != res["provider"]:
        raise not_found("published resource", res["code"])
    try:
        req = flow.submit(f"r-{uuid.uuid4().hex[:12]}", requester, res["provider"], res["code"], res["data_kind"],
                          res["share_type"], res["share_basis"], at, bool(res.get("control_parameters")), terms)
    except TransitionRefused as exc:
        raise problem_of(exc) from None
    await uow.rows.insert_request(req, purpose)
    _emit_step(uow, None, req)
    return req


async def _step(uow: ExchangeUnitOfWork, request_id: str,
                step: Callable[[AccessRequest], AccessRequest]) -> AccessRequest:
    async with uow:
        req = await uow.rows.get_request(request_id, for_update=True)
        if req is None:
            raise not_found("request", request_id)
        try:
            after = step(req)
        except TransitionRefused as exc:
            raise problem_of(exc) from None
        await uow.rows.save_request(after)
        _emit_step(uow, req.status, after)
        await uow.commit()
    return after


async def review_request(cmd: c.ReviewRequest, uow: ExchangeUnitOfWork) -> AccessRequest:
    return await _step(uow, cmd.request_id, lambda r: flow.review(r, cmd.passed, cmd.reason, cmd.at, cmd.decision_days))


async def decide_request(cmd: c.DecideRequest, uow: ExchangeUnitOfWork) -> AccessRequest:
    unit = cmd.actor.unit or ""
    return await _step(uow, cmd.request_id, lambda r: flow.decide(r, unit, cmd.approve, cmd.reason, cmd.at, cmd.terms))


async def reply_request(cmd: c.ReplyRequest, uow: ExchangeUnitOfWork) -> AccessRequest:
    return await _step(uow, cmd.request_id, lambda r: flow.reply(r, cmd.at))


async def flag_overdue(now: datetime, uow: ExchangeUnitOfWork) -> int:
    """One pass of the deadline watcher; the event time is the deadline itself (when the request became
    overdue), not when it was noticed."""
    async with uow:
        due = [r for r in await uow.rows.due_overdue(now) if flow.overdue(r, now)]
        for req in due:
            assert req.provider_due is not None and req.forwarded_at is not None
            await uow.rows.save_request(replace(req, overdue_at=req.provider_due))
            uow.emit(RequestOverdue(request_id=req.id, data_kind=req.data_kind,
                                    forwarded_at=req.forwarded_at, deadline=req.provider_due),
                     unit=req.provider, at=req.provider_due)
        await uow.commit()
    return len(due)


async def raise_dispute(cmd: c.RaiseDispute, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    """A unit that receives the data reports a doubt or an error whenever it finds one (seed 003 §22(五): within
    2 working days of finding it; a later report is taken and marked late); the provider answers within 3."""
    consumer = cmd.actor.unit or ""
    found = cmd.found_at or cmd.at
    if found > cmd.at:
        raise Problem(422, "Unprocessable Content", "found_at: a problem cannot be found after it is reported",
                      kind="validation")
    async with uow:
        sub = await uow.rows.latest_subscription(consumer, cmd.resource_code)
        if sub is None:
            raise forbidden(f"{consumer} has not received {cmd.resource_code}: no active subscription")
        dispute_id, due = f"d-{uuid.uuid4().hex[:12]}", working_deadline(cmd.at, ANSWER_DAYS)
        late = reported_late(found, cmd.at)
        await uow.rows.insert_dispute(dispute_id=dispute_id, consumer=consumer, provider=sub["provider"],
                                      resource_code=cmd.resource_code, data_kind=sub["data_kind"],
                                      description=cmd.description, raised_at=cmd.at, answer_due=due,
                                      found_at=found, reported_late=late, records=list(cmd.records))
        await uow.commit()
    return {"id": dispute_id, "provider": sub["provider"], "status": "open", "answer_due": due,
            "reported_late": late}


async def answer_dispute(cmd: c.AnswerDispute, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    """The provider answers with the result of its check; when the data was wrong (upheld) it says how it
    completed the update, and the upheld dispute is a fact about its data quality."""
    if cmd.upheld and not (cmd.correction or "").strip():
        raise Problem(422, "Unprocessable Content", "correction: an upheld dispute says how the data was corrected "
                      "(the update made, seed 003 §22(五))", kind="validation")
    async with uow:
        row = await uow.rows.dispute_for_update(cmd.dispute_id)
        if row is None:
            raise not_found("dispute", cmd.dispute_id)
        if row["provider"] != cmd.actor.unit:
            raise forbidden(f"dispute {cmd.dispute_id} is addressed to {row['provider']}")
        if row["status"] != "open":
            raise conflict(f"status: dispute {cmd.dispute_id} was already answered ({row['status']})")
        status = "upheld" if cmd.upheld else "dismissed"
        delivery = await _correcting_delivery(uow, row, cmd) if cmd.upheld else None
        await uow.rows.answer_dispute(cmd.dispute_id, status, cmd.answer, cmd.at,
                                      cmd.correction if cmd.upheld else None, delivery)
        if cmd.upheld:
            uow.emit(DisputeUpheld(dispute_id=cmd.dispute_id, resource_code=row["resource_code"],
                                   data_kind=row["data_kind"]), unit=row["provider"], at=cmd.at)
        await uow.commit()
    return {"id": cmd.dispute_id, "status": status, "late": cmd.at >= row["answer_due"]}


async def _correcting_delivery(uow: ExchangeUnitOfWork, dispute: Any, cmd: c.AnswerDispute) -> str | None:
    """A table's or a file's correction is a delivery: the batch or version, made after the dispute was raised,
    that carries it (seed 003 §22(五): the provider completes the update). An API resource names none."""
    res = await uow.rows.resource(dispute["resource_code"])
    kind = res.get("mount_kind") if res is not None else None
    if kind not in ("table", "file"):
        return cmd.correction_delivery
    if not cmd.correction_delivery:
        raise Problem(422, "Unprocessable Content", f"correction_delivery: {dispute['resource_code']} is a {kind}: "
                      "name the batch or file version that delivered the corrected data", kind="validation")
    at = await uow.tables.delivered_at(dispute["resource_code"], cmd.correction_delivery)
    if at is None or at < dispute["raised_at"]:
        raise Problem(422, "Unprocessable Content", f"correction_delivery: {cmd.correction_delivery} is no delivery "
                      f"of {dispute['resource_code']} made since the dispute was raised", kind="validation")
    return cmd.correction_delivery


async def flag_overdue_disputes(now: datetime, uow: ExchangeUnitOfWork) -> int:
    """One pass: each open dispute past its 3 working days emits exchange.dispute-overdue once, at the deadline."""
    async with uow:
        due = await uow.rows.due_dispute_overdue(now)
        for row in due:
            await uow.rows.mark_dispute_overdue(row["id"], row["answer_due"])
            uow.emit(DisputeOverdue(dispute_id=row["id"], resource_code=row["resource_code"],
                                    data_kind=row["data_kind"], consumer_unit=row["consumer"],
                                    raised_at=row["raised_at"], deadline=row["answer_due"]),
                     unit=row["provider"], at=row["answer_due"])
        await uow.commit()
    return len(due)


async def record_data_use(cmd: c.RecordDataUse, uow: ExchangeUnitOfWork) -> int:
    """E1.2/E1.4 reward use of shared data the unit actually receives: an active subscription is needed."""
    consumer = cmd.actor.unit or ""
    async with uow:
        route = await uow.rows.gateway_route(consumer, cmd.resource_code, cmd.at)
        if route is None:
            raise not_found("published resource", cmd.resource_code)
        standing = standing_from(route)
        if standing is None or not standing.usable(cmd.at):
            why = standing.why_not(cmd.at) if standing else \
                f"{consumer} holds no active subscription to {cmd.resource_code}"
            raise forbidden(f"{why}; only data a unit receives through the exchange can be recorded as used")
        use_id = await uow.rows.insert_data_use(consumer=consumer, resource_code=cmd.resource_code,
                                                purpose=cmd.purpose, note=cmd.note, at=cmd.at)
        uow.emit(DataUsed(resource_code=cmd.resource_code, consumer_unit=consumer,
                          purpose=cmd.purpose), unit=consumer, at=cmd.at)
        await uow.commit()
    return use_id


async def set_endpoint(cmd: c.SetEndpoint, uow: ExchangeUnitOfWork,
                       check_destination: Callable[[str], Awaitable[None]]) -> None:
    """Register where the gateway reaches a resource; the destination must pass the egress policy."""
    async with uow:
        res = await uow.rows.resource(cmd.resource_code)
        if res is None:
            raise not_found("published resource", cmd.resource_code)
        cmd.actor.ensure_unit(res["provider"])
        await check_destination(cmd.base_url)
        await uow.rows.set_endpoint(cmd.resource_code, cmd.base_url, cmd.timeout_ms)
        await uow.commit()


def _checked_calls(cmd: c.ReportCalls, resources: dict[str, Any]) -> list[tuple[c.ReportedCall, Any]]:
    rows, errors, seen = [], [], set()
    for i, call in enumerate(cmd.calls):
        res = resources.get(call.resource_code)
        if res is None:
            errors.append(f"calls.{i}.resource_code: {call.resource_code} is not a published resource")
        elif cmd.actor.role is Role.department and res["provider"] != cmd.actor.unit:
            errors.append(f"calls.{i}: {call.resource_code} is provided by {res['provider']}, not by you")
        elif call.ended_at < call.started_at:
            errors.append(f"calls.{i}.ended_at: before started_at")
        elif call.call_id not in seen:
            seen.add(call.call_id)
            rows.append((call, res))
    if errors:
        raise invalid("; ".join(errors[:20]) + (f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""))
    return rows


async def report_calls(cmd: c.ReportCalls, uow: ExchangeUnitOfWork) -> dict[str, int]:
    """A provider system's own call records: each new one recorded once, each new failure a fact."""
    async with uow:
        resources = await uow.rows.resources_by_code(list({call.resource_code for call in cmd.calls}))
        rows = _checked_calls(cmd, resources)
        records = [{"id": call.call_id, "consumer": call.consumer, "provider": res["provider"],
                    "resource_code": call.resource_code, "started_at": call.started_at, "ended_at": call.ended_at,
                    "duration_ms": (call.ended_at - call.started_at).total_seconds() * 1000,
                    "status_code": call.status_code, "request_bytes": call.request_bytes,
                    "response_bytes": call.response_bytes, "succeeded": call.error is None, "error": call.error,
                    "reported": True} for call, res in rows]
        new = set(await uow.rows.insert_calls(records))
        failures = 0
        for call, res in rows:  # one event per newly recorded failure
            if call.error is not None and call.call_id in new:
                failures += 1
                uow.emit(CallFailed(call_id=call.call_id, resource_code=call.resource_code,
                                    consumer_unit=call.consumer, data_kind=res["data_kind"], error=call.error),
                         unit=res["provider"], at=call.started_at)
        await uow.commit()
    return {"recorded": len(new), "duplicates": len(cmd.calls) - len(new), "failures": failures}
