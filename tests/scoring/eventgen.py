"""Random event logs that touch every fact the engine reads, with times crowded around the instants
where scores change without new facts: deadlines, start dates, month ends, staleness limits."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from scoring.domain.clock import SHANGHAI
from scoring.domain.metric_specs import BATCH_KINDS
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import CITY, COUNTY, DEPT, DEPT2, OTHER_DEPT, Log, code, uscc

UNREGISTERED = uscc("450000", "00000009")  # its events only move the watermark
UNITS = (DEPT, DEPT2, OTHER_DEPT, CITY)
DEADLINES = ("2019-06-30", "2019-07-15", "2019-07-31", "2019-08-20", "2019-08-31", "2019-09-30")
CYCLES = ("realtime", "daily", "weekly", "monthly", "quarterly", "yearly")
FINDINGS: tuple[tuple[str, str], ...] = (
    ("A1.2", "flag"), ("A3.1", "flag"), ("A5.5", "flag"), ("B2.5", "flag"), ("C2.1", "flag"), ("A1.8", "flag"),
    ("A1.3", "occurrence"), ("A3.2", "occurrence"), ("A5.3", "occurrence"), ("C1.1", "occurrence"),
    ("C2.2", "occurrence"), ("C3.1", "occurrence"), ("C3.2", "occurrence"), ("C3.4", "occurrence"),
    ("A2.6", "rate"), ("A3.5", "rate"),
    ("D1", "achieved"), ("D3", "achieved"), ("D4", "achieved"), ("D7", "achieved"), ("E1.5", "achieved"),
)


def _instant_text(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).isoformat()


def special_instants() -> list[datetime]:
    """Ruleset start dates and deadlines, batch deadlines and month ends, as instants."""
    days: set[date] = set()
    for item in builtin_ruleset().items.values():
        if item.starts is not None:
            days.add(item.starts)
        if item.deadline is not None:
            days.add(item.deadline + timedelta(days=1))
    days |= {date.fromisoformat(d) + timedelta(days=1) for d in DEADLINES}
    days |= {date(2019, m, 1) for m in range(5, 12)}
    return sorted(datetime(d.year, d.month, d.day, tzinfo=SHANGHAI) for d in days)


class LogGen:
    def __init__(self, rng: random.Random, start: str = "2019-05-01", end: str = "2019-10-05") -> None:
        self.rng = rng
        self.start = datetime.fromisoformat(start).replace(tzinfo=SHANGHAI)
        self.end = datetime.fromisoformat(end).replace(tzinfo=SHANGHAI)
        self.special = [t for t in special_instants() if self.start <= t <= self.end]
        self.log = Log()

    def when(self) -> str:
        """A random instant, often right at (or a microsecond either side of) a special one."""
        rng = self.rng
        if self.special and rng.random() < 0.4:
            base = rng.choice(self.special)
            offset = rng.choice((timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1),
                                 timedelta(hours=rng.randrange(-30, 30))))
            return _instant_text(base + offset)
        span = (self.end - self.start).total_seconds()
        return _instant_text(self.start + timedelta(seconds=rng.randrange(int(span))))

    def setup(self) -> None:
        rng, log = self.rng, self.log
        log.register(DEPT, absent=rng.sample(["A1", "A3", "B3"], rng.randrange(3)))
        log.register(DEPT2)
        log.register(OTHER_DEPT)
        log.register(CITY, kind="city")
        log.register(COUNTY, kind="county", parent=CITY)

    def one(self) -> dict[str, Any]:
        rng, log = self.rng, self.log
        unit = rng.choice(UNITS)
        codes = [code(unit, n) for n in range(1, 6)]
        when = self.when()
        r = rng.randrange(19)
        if r == 0:
            kind = rng.choice(BATCH_KINDS)
            return log.requirement(unit, f"{kind[:2]}-{rng.randrange(2)}", kind,
                                   rng.sample(codes, rng.randrange(1, 4)), rng.choice(DEADLINES), when=when)
        if r == 1:
            return log.publish(unit, rng.choice(codes), when, cycle=rng.choice(CYCLES))
        if r in (2, 3):
            return log.mount(unit, rng.choice(codes), when)
        if r in (4, 5):
            return log.update(unit, rng.choice(codes), when)
        if r == 6:
            return self._request(unit, when)
        if r == 7:
            return log.add("exchange.call-failed", unit, when, call_id=f"c{rng.randrange(10**6)}",
                           resource_code=rng.choice(codes), consumer_unit=rng.choice(UNITS),
                           data_kind=rng.choice(("government", "supervision")), error="timeout")
        if r == 8:
            return log.add("exchange.dispute-upheld", unit, when, dispute_id=f"d{rng.randrange(10**6)}",
                           resource_code=rng.choice(codes), data_kind=rng.choice(("government", "supervision")))
        if r == 9:
            return log.add("exchange.data-used", unit, when, resource_code=code(rng.choice(UNITS), 1),
                           consumer_unit=unit,
                           purpose=rng.choice(("general", "high_frequency", "business_environment")))
        if r == 10:
            return log.add("elicense.types-claimed", unit, when,
                           license_types=rng.sample(["T1", "T2", "T3"], rng.randrange(0, 3)),
                           declared_stock=rng.choice((None, 1, 2, 4)))
        if r in (11, 12):
            return log.add("elicense.license-pushed", unit, when, license_id=f"L{rng.randrange(6)}",
                           license_type=rng.choice(("T1", "T2", "T3")),
                           push_mode=rng.choice(("stock", "auto_incremental", "manual")),
                           file_format=rng.choice(("ofd", "pdf", None)), sealed=rng.random() < 0.7)
        if r == 13:
            return log.add("elicense.license-used", unit, when, license_id=f"L{rng.randrange(6)}",
                           issuer_unit=rng.choice(UNITS), sealed=rng.random() < 0.5, waived_materials=rng.randrange(2))
        if r in (14, 15, 16):
            return self._finding(when)
        if r == 17:  # a clock tick: moves the watermark and nothing else that is scored
            return log.add("exchange.data-used", UNREGISTERED, when, resource_code=code(DEPT, 1),
                           consumer_unit=UNREGISTERED, purpose="general")
        return log.register(DEPT, absent=rng.sample(["A1", "A3", "B3"], rng.randrange(3)), when=when)

    def _request(self, unit: str, when: str) -> dict[str, Any]:
        rng, log = self.rng, self.log
        rid, kind = f"q{rng.randrange(4)}", rng.choice(("government", "supervision"))
        step = rng.randrange(4)
        if step == 0:
            return log.add("exchange.request-submitted", unit, when, request_id=rid, requester_unit=OTHER_DEPT,
                           resource_code=code(unit, 1), data_kind=kind)
        if step == 1:
            return log.add("exchange.request-forwarded", unit, when, request_id=rid, data_kind=kind)
        decided = datetime.fromisoformat(when)
        forwarded = _instant_text(decided - timedelta(hours=rng.randrange(0, 200)))
        if step == 2:
            return log.add("exchange.request-approved", unit, when, request_id=rid, data_kind=kind,
                           forwarded_at=forwarded)
        return log.add("exchange.request-rejected", unit, when, request_id=rid, data_kind=kind,
                       forwarded_at=forwarded, reason=rng.choice(("", "not ours")))

    def _finding(self, when: str) -> dict[str, Any]:
        rng, log = self.rng, self.log
        found = [e for e in log.events if e["type"] == "scoring.finding-recorded"]
        if found and rng.random() < 0.25:  # a finding withdrawn, perhaps at an event time before its own
            f = rng.choice(found)
            return log.add("scoring.finding-retracted", f["unit"], when, finding_id=f["data"]["finding_id"],
                           item=f["data"]["item"], attributed_unit=f["data"].get("attributed_unit"),
                           finding_occurred_at=f["occurred_at"], reason="corrected", by="inspector-1")
        item, kind = rng.choice(FINDINGS)
        unit = COUNTY if item == "C2.1" and rng.random() < 0.6 else rng.choice(UNITS)
        if kind == "flag":
            return log.finding(unit, item, rng.choice(("holds", "holds", "resolved")), when)
        if kind == "occurrence":
            extra: dict[str, Any] = {"count": rng.randrange(1, 3)}
            if rng.random() < 0.5:
                extra["attributed_unit"] = rng.choice(UNITS)
            return log.finding(unit, item, "occurrence", when, **extra)
        if kind == "rate":
            den = rng.randrange(0, 5)
            return log.finding(unit, item, "rate", when, numerator=rng.randrange(0, den + 1), denominator=den)
        extra = {"size": rng.randrange(0, 60)} if item in ("D2", "D3") else {}
        return log.finding(unit, item, "achieved", when, **extra)

    def events(self, n: int) -> list[dict[str, Any]]:
        self.setup()
        for _ in range(n):
            self.one()
        return self.log.events
