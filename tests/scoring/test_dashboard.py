"""#20 part 1: the operators' dashboard as figures: units per band and list against the month before, the
distribution of totals, the costliest deductions, points lost per unit and indicator, cities beside their
counties (domain/dashboard.py); and the province's catalog, exchange and e-license work now, read from the
projection's facts (domain/activity.py)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from contracts.fastdecode import decode
from scoring.domain.activity import activity
from scoring.domain.clock import to_instant
from scoring.domain.dashboard import MonthFigure, Unit, compile_dashboard
from scoring.domain.facts import FactStore
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import CITY, COUNTY, DEPT, DEPT2, Log, at, code

RULESET = builtin_ruleset()


def result(unit: str, total: str, band: str, listing: str, items: dict[str, str] | None = None,
           indicators: dict[str, str] | None = None) -> dict[str, object]:
    return {"unit": unit, "total": total, "band": band, "list": listing, "items": items or {},
            "indicators": indicators or {}}


UNITS = {"U1": Unit("自治区甲厅", "department", None), "U2": Unit("南宁市", "city", None),
         "U3": Unit("柳州市", "city", None), "C1": Unit("兴宁区", "county", "U2"), "C2": Unit("青秀区", "county", "U2"),
         "U4": Unit("自治区乙厅", "department", None)}
NOW = [result("U1", "99.00", "very-high", "red", {"D1.1": "2"}, {"D1": "2"}),
       result("U2", "88.00", "high", "none", {"A1.2": "-2", "B1.8": "-10"}, {"A1": "-2", "B1": "-10"}),
       result("U3", "71.50", "medium", "none", {"B1.8": "-4", "B1.6": "-24.5"}, {"B1": "-18"}),
       result("U4", "55.00", "low", "black", {"A1.2": "-2", "B1.6": "-43"}, {"A1": "-2", "B1": "-18", "C2": "-8"})]
BEFORE = [result("U1", "97.00", "very-high", "red"), result("U2", "92.00", "very-high", "red"),
          result("U3", "71.50", "medium", "none")]


def test_bands_and_lists_against_the_month_before() -> None:
    d = compile_dashboard("2019-08", results=NOW, previous=BEFORE, units=UNITS, ruleset=RULESET)
    bands = {c.key: (c.now, c.before, c.change) for c in d.bands}
    assert bands == {"very-high": (1, 2, -1), "high": (1, 0, 1), "medium": (1, 1, 0), "low": (1, 0, 1)}
    lists = {c.key: (c.now, c.before) for c in d.lists}
    assert lists == {"red": (1, 2), "black": (1, 0)}
    # U4 was not scored the month before: neither up nor down
    assert (d.improved, d.slipped) == (1, 1)
    assert (d.units, d.mean, d.median) == (4, Decimal("78.38"), Decimal("79.75"))
    # no month before: no comparison at all, rather than "0 then"
    first = compile_dashboard("2019-08", results=NOW, previous=[], units=UNITS, ruleset=RULESET)
    assert all(c.before is None and c.change is None for c in first.bands + first.lists)


def test_costliest_items_heat_map_and_cities() -> None:
    d = compile_dashboard("2019-08", results=NOW, previous=BEFORE, units=UNITS, ruleset=RULESET)
    assert [(c.item, c.units, c.points) for c in d.costliest][:3] == [
        ("B1.6", 2, Decimal("67.50")), ("B1.8", 2, Decimal("14.00")), ("A1.2", 2, Decimal("4.00"))]
    assert [i[0] for i in d.indicators] == [i.id for i in RULESET.deductions]
    # the lowest total first; each cell is the points lost on an indicator after its cap
    assert [h.unit for h in d.heat] == ["U4", "U3", "U2", "U1"]
    col = {i[0]: n for n, i in enumerate(d.indicators)}
    worst = d.heat[0]
    assert (worst.lost[col["A1"]], worst.lost[col["B1"]], worst.lost[col["C2"]]) == (2, 18, 8)
    assert worst.lost[col["A2"]] == 0 and len(worst.lost) == len(d.indicators)
    assert [(c.name, c.total, c.change, c.counties) for c in d.cities] == [
        ("南宁市", Decimal("88.00"), Decimal("-4.00"), ("兴宁区", "青秀区")),
        ("柳州市", Decimal("71.50"), Decimal("0.00"), ())]
    assert sum(n for _, n in d.histogram) == 4


def test_months_are_passed_through_oldest_first() -> None:
    months = [MonthFigure("2019-07", 3, Decimal("86.83"), 2, 0), MonthFigure("2019-08", 4, Decimal("78.38"), 1, 1)]
    d = compile_dashboard("2019-08", results=NOW, previous=BEFORE, units=UNITS, ruleset=RULESET, months=months)
    assert [f.month for f in d.months] == ["2019-07", "2019-08"]


def _store(log: Log) -> FactStore:
    store = FactStore()
    store.apply_all(decode(json.dumps(e).encode()) for e in log.events)
    return store


def test_activity_counts_the_province_now() -> None:
    log = Log()
    for unit, kind, parent in ((DEPT, "department", None), (DEPT2, "department", None), (CITY, "city", None),
                               (COUNTY, "county", CITY)):
        log.register(unit, kind, parent)
    required = [code(DEPT, 1), code(DEPT, 2), code(DEPT, 3)]
    log.requirement(DEPT, "b1", "first_batch_catalog", required, "2019-08-30", when="2019-07-01 09:00")
    log.publish(DEPT, code(DEPT, 1), "2019-07-02 09:00", cycle="monthly")
    log.mount(DEPT, code(DEPT, 1), "2019-07-03 09:00")  # last anchor: stale from 2019-08-03
    log.publish(DEPT, code(DEPT, 2), "2019-07-02 09:00", cycle="monthly")
    log.mount(DEPT, code(DEPT, 2), "2019-07-03 09:00")
    log.update(DEPT, code(DEPT, 2), "2019-08-05 09:00")  # fresh until 2019-09-05
    log.publish(COUNTY, code(COUNTY, 1), "2019-07-02 09:00", cycle="daily")  # published, never mounted
    for n, provider in enumerate((DEPT2, DEPT2, CITY)):
        log.add("exchange.request-forwarded", provider, "2019-08-01 10:00", request_id=f"r{n}", data_kind="government")
    log.add("exchange.request-approved", CITY, "2019-08-02 10:00", request_id="r2", data_kind="government",
            forwarded_at=at("2019-08-01 10:00"))
    log.add("exchange.request-forwarded", DEPT2, "2019-08-09 10:00", request_id="r3", data_kind="supervision")
    for day, resource in (("2019-08-09 08:00", 1), ("2019-08-09 11:00", 1), ("2019-08-09 12:00", 2),
                          ("2019-08-05 12:00", 1)):
        log.add("exchange.call-failed", DEPT2, day, call_id=f"c{day}{resource}", resource_code=code(DEPT2, resource),
                consumer_unit=DEPT, data_kind="government", error="timeout")
    log.add("exchange.dispute-upheld", DEPT2, "2019-08-07 10:00", dispute_id="d1", resource_code=code(DEPT2, 1),
            data_kind="government")
    log.add("elicense.types-claimed", DEPT2, "2019-07-10 09:00", license_types=["T1", "T2", "T3"], declared_stock=3)
    for n, (ty, fmt) in enumerate((("T1", "ofd"), ("T1", None), ("T2", "pdf"))):
        log.add("elicense.license-pushed", DEPT2, f"2019-07-1{n + 1} 09:00", license_id=f"L{n}", license_type=ty,
                push_mode="stock", file_format=fmt, sealed=fmt is not None)
    log.add("elicense.license-used", DEPT, "2019-08-06 10:00", license_id="L1", issuer_unit=DEPT2, sealed=False,
            waived_materials=1)
    store = _store(log)

    now = activity(store, to_instant(datetime.fromisoformat(at("2019-08-09 15:00"))))
    c = now.catalog
    assert (c.required, c.required_published, c.required_mounted, c.published, c.mounted) == (3, 2, 2, 3, 2)
    assert (c.stale, c.stale_by_unit) == (1, ((DEPT, 1),))
    x = now.exchange
    # r0, r1 (3 working days from Thu 1 Aug: due Tue 6 Aug) overdue; r3 (supervision, 5 days) waiting
    assert (x.waiting, x.overdue, x.overdue_by_unit) == (3, 2, ((DEPT2, 2),))
    # one failure per data kind, resource and day: two on the 9th, one on the 5th
    assert (x.failed_today, x.failed_month, x.disputes_month) == (2, 3, 1)
    lic = now.licenses
    assert (lic.claimed_types, lic.pushed_types, lic.licenses, lic.with_file, lic.sealed) == (3, 2, 3, 2, 2)
    assert (lic.unsealed_uses_month, lic.uses_today) == (1, 0)  # the use was on the 6th
    on_the_day = activity(store, to_instant(datetime.fromisoformat(at("2019-08-06 15:00"))))
    assert on_the_day.licenses.uses_today == 1
    assert lic.unpushed_by_unit == ((DEPT2, 1),)

    # the same facts earlier: nothing after the instant counts
    before = activity(store, to_instant(datetime.fromisoformat(at("2019-08-04 09:00"))))
    # both monthly resources stale (code 2's update comes the next day); r2 decided, r3 not forwarded yet
    assert (before.catalog.stale, before.exchange.overdue, before.exchange.failed_today) == (2, 0, 0)
    assert (before.exchange.waiting, before.licenses.unsealed_uses_month) == (2, 0)


def test_the_exchange_at_work_is_its_latest_counted_window() -> None:
    from scoring.domain.activity import traffic_now

    assert traffic_now([], None) is None
    start = datetime.fromisoformat("2019-08-05T09:00:00+08:00")
    rows = [{"provider": DEPT2, "window_start": start, "window_seconds": 300, "calls": 30, "failed": 3,
             "p95_ms": 812.5},
            {"provider": DEPT, "window_start": start, "window_seconds": 300, "calls": 45, "failed": 0,
             "p95_ms": 40.0}]
    now = traffic_now(rows, {"calls": 900, "failed": 20})
    assert now is not None
    assert (now.calls, now.failed, now.per_minute, now.failure_rate, now.p95_ms) == (
        75, 3, Decimal("15.0"), Decimal("4.0"), 812.5)
    assert [p[0] for p in now.providers] == [DEPT2, DEPT] and (now.calls_today, now.failed_today) == (900, 20)
