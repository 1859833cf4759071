"""Event-log builders for scoring tests: envelopes as plain dicts (one JSON line each)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.fastdecode import decode, uscc_check_char
from scoring.domain.clock import SHANGHAI, month_bounds, to_instant
from scoring.domain.engine import evaluate, evaluate_unit
from scoring.domain.facts import FactStore
from scoring.domain.result import MonthResult, UnitResult
from scoring.domain.ruleset import Ruleset, builtin_ruleset

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def uscc(division: str, org8: str) -> str:
    """A valid USCC: 1 (organ) 1 (government), division, GB 11714 code with its check, check char."""
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(org8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    org_check = "X" if c9 == 10 else "0" if c9 == 11 else str(c9)
    first17 = "11" + division + org8 + org_check
    return first17 + uscc_check_char(first17)


DEPT = uscc("450000", "00000001")
DEPT2 = uscc("450000", "00000002")
CITY = uscc("450100", "00000003")
COUNTY = uscc("450102", "00000004")
OTHER_DEPT = uscc("450000", "00000005")


def at(text: str) -> str:
    """'2019-08-05 10:00' (Shanghai) -> RFC 3339 with offset; full RFC 3339 passes through."""
    if "T" in text:
        return text
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).isoformat()


_SOURCES = {
    "registry": "registry",
    "catalog": "catalog",
    "exchange": "exchange",
    "elicense": "elicense",
    "scoring": "scoring",
}


class Log:
    """An event log under construction; ids are deterministic so outputs are reproducible."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._n = 0

    def add(self, type_: str, unit: str, when: str, **data: Any) -> dict[str, Any]:
        self._n += 1
        env = {
            "id": str(uuid.UUID(int=self._n)),
            "type": type_,
            "version": 1,
            "source": _SOURCES[type_.split(".")[0]],
            "unit": unit,
            "occurred_at": at(when),
            "data": data,
        }
        self.events.append(env)
        return env

    # registry
    def register(
        self,
        unit: str,
        kind: str = "department",
        parent: str | None = None,
        absent: Iterable[str] = (),
        when: str = "2019-01-01 00:00",
    ) -> dict[str, Any]:
        division = unit[2:8]
        return self.add(
            "registry.unit-registered",
            unit,
            when,
            name=f"unit {unit[-4:]}",
            kind=kind,
            division_code=division,
            parent_unit=parent,
            absent_indicators=list(absent),
        )

    # findings
    def finding(self, unit: str, item: str, effect: str, when: str, **extra: Any) -> dict[str, Any]:
        return self.add(
            "scoring.finding-recorded",
            unit,
            when,
            finding_id=f"f{self._n + 1}",
            item=item,
            effect=effect,
            inspector="inspector-1",
            **extra,
        )

    # catalog
    def requirement(
        self, unit: str, batch_id: str, kind: str, codes: list[str], deadline: str, when: str = "2019-05-01 09:00"
    ) -> dict[str, Any]:
        return self.add(
            "catalog.requirement-assigned",
            unit,
            when,
            batch_id=batch_id,
            batch_kind=kind,
            resource_codes=codes,
            deadline=deadline,
        )

    def publish(self, unit: str, code: str, when: str, cycle: str = "yearly") -> dict[str, Any]:
        return self.add(
            "catalog.resource-published",
            unit,
            when,
            resource_code=code,
            name=code,
            share_type="unconditional",
            update_cycle=cycle,
        )

    def mount(self, unit: str, code: str, when: str) -> dict[str, Any]:
        return self.add("catalog.resource-mounted", unit, when, resource_code=code, mount_kind="api")

    def update(self, unit: str, code: str, when: str) -> dict[str, Any]:
        return self.add("catalog.resource-updated", unit, when, resource_code=code, records=1)

    def lines(self) -> list[bytes]:
        return [json.dumps(e, ensure_ascii=False).encode() for e in self.events]


def code(unit: str, serial: int) -> str:
    """Catalog code: 3 30 045 + division + unit mark (USCC chars 9-17) + 6-digit serial."""
    return "330045" + unit[2:8] + unit[8:17] + f"{serial:06d}"


def store_of(events: Iterable[dict[str, Any]] | Log) -> FactStore:
    evs = events.events if isinstance(events, Log) else events
    store = FactStore()
    for e in evs:
        store.apply(decode(json.dumps(e)))
    return store


def score(
    log: Log | list[dict[str, Any]], month: str, as_of: str | None = None, ruleset: Ruleset | None = None
) -> MonthResult:
    store = store_of(log)
    t = month_bounds(month)[1] if as_of is None else to_instant(datetime.fromisoformat(at(as_of)))
    return evaluate(ruleset or builtin_ruleset(), store.directory, store, month, t)


def unit_score(log: Log, unit: str, month: str, as_of: str | None = None, ruleset: Ruleset | None = None) -> UnitResult:
    store = store_of(log)
    t = month_bounds(month)[1] if as_of is None else to_instant(datetime.fromisoformat(at(as_of)))
    return evaluate_unit(ruleset or builtin_ruleset(), store.directory, store, unit, month, t)


def items(result: UnitResult) -> dict[str, str]:
    return {k: format(v.normalize(), "f") for k, v in result.items.items()}


D = Decimal


def request(
    log: Log, provider: str, rid: str, kind: str, forwarded: str, decision: tuple[str, str, str] | None = None
) -> None:
    """A data request forwarded to `provider`; decision = (approved|rejected, when, reason)."""
    log.add(
        "exchange.request-submitted",
        provider,
        forwarded,
        request_id=rid,
        requester_unit=OTHER_DEPT,
        resource_code=code(provider, 1),
        data_kind=kind,
    )
    log.add("exchange.request-forwarded", provider, forwarded, request_id=rid, data_kind=kind)
    if decision is not None:
        outcome, when, reason = decision
        if outcome == "approved":
            log.add(
                "exchange.request-approved", provider, when, request_id=rid, data_kind=kind, forwarded_at=at(forwarded)
            )
        else:
            log.add(
                "exchange.request-rejected",
                provider,
                when,
                request_id=rid,
                data_kind=kind,
                forwarded_at=at(forwarded),
                reason=reason,
            )


def sample_log() -> Log:
    """A small log touching every event type and item kind, for order-independence checks."""
    log = Log()
    log.register(DEPT, absent=["B3"])
    log.register(DEPT2)
    log.register(OTHER_DEPT)
    log.register(CITY, kind="city")
    log.register(COUNTY, kind="county", parent=CITY)
    codes = [code(DEPT, n) for n in range(1, 6)]
    log.requirement(DEPT, "fb", "first_batch_catalog", codes, "2019-08-31", when="2019-06-01 09:00")
    log.requirement(DEPT, "be", "business_environment", codes[:2], "2019-07-15")
    log.requirement(DEPT, "be", "business_environment", codes[:3], "2019-07-20", when="2019-06-02 09:00")
    for n, c in enumerate(codes):
        log.publish(DEPT, c, f"2019-07-0{n + 1} 09:00", cycle="weekly" if n % 2 else "monthly")
        log.mount(DEPT, c, f"2019-07-{n + 10} 09:00")
        log.update(DEPT, c, f"2019-08-{n + 3:02d} 09:00")
    for n in range(6):
        log.add(
            "exchange.call-failed",
            DEPT2,
            f"2019-08-0{1 + n // 3} 1{n}:00",
            call_id=f"c{n}",
            resource_code=code(DEPT2, 1 + n % 2),
            consumer_unit=DEPT,
            data_kind="government",
            error="timeout",
        )
    request(log, DEPT2, "q1", "government", "2019-09-27 10:00", ("approved", "2019-10-09 00:00:01", ""))
    request(log, DEPT2, "q2", "supervision", "2019-08-05 10:00", ("rejected", "2019-08-06 10:00", "  "))
    request(log, DEPT2, "q3", "government", "2019-08-28 10:00")
    log.add(
        "exchange.dispute-upheld",
        DEPT2,
        "2019-08-07 10:00",
        dispute_id="d1",
        resource_code=code(DEPT2, 1),
        data_kind="government",
    )
    log.add(
        "exchange.data-used",
        DEPT,
        "2019-08-09 10:00",
        resource_code=code(DEPT2, 1),
        consumer_unit=DEPT,
        purpose="high_frequency",
    )
    log.add("elicense.types-claimed", DEPT2, "2019-05-10 09:00", license_types=["T1", "T2"], declared_stock=None)
    log.add("elicense.types-claimed", DEPT2, "2019-06-10 09:00", license_types=["T1", "T2"], declared_stock=4)
    for n in range(3):
        log.add(
            "elicense.license-pushed",
            DEPT2,
            f"2019-06-1{n} 09:00",
            license_id=f"L{n}",
            license_type="T1",
            push_mode="stock",
            file_format="ofd" if n else None,
            sealed=n != 1,
        )
    log.add(
        "elicense.license-used",
        DEPT,
        "2019-08-10 10:00",
        license_id="L1",
        issuer_unit=DEPT2,
        sealed=False,
        waived_materials=1,
    )
    log.finding(DEPT, "A1.2", "holds", "2019-07-10 10:00")
    log.finding(DEPT, "A1.2", "resolved", "2019-08-20 10:00")
    log.finding(COUNTY, "C2.1", "holds", "2019-08-03 10:00")
    log.finding(DEPT, "C2.2", "occurrence", "2019-08-05 10:00", count=2, attributed_unit=OTHER_DEPT)
    log.finding(DEPT, "A5.3", "occurrence", "2019-08-05 10:00", count=1, attributed_unit=DEPT2)
    log.finding(DEPT, "A2.6", "rate", "2019-08-05 10:00", numerator=3, denominator=10)
    log.finding(DEPT, "A2.6", "rate", "2019-08-06 10:00", numerator=9, denominator=10)
    log.finding(CITY, "D3", "achieved", "2019-07-20 10:00", size=31)
    log.finding(CITY, "E1.5", "achieved", "2019-08-01 10:00")
    log.finding(CITY, "E1.5", "achieved", "2019-08-02 10:00")
    return log
