"""The system inventory (#16): entries and claims, what counts when (grace, verification, rejection), the
items computed from it, the handlers on an in-memory unit of work, and the points the recorded findings
cost once folded like any event."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from contracts.fastdecode import decode
from hubkit.auth import Principal, Role
from hubkit.problems import Problem
from hypothesis import given
from hypothesis import strategies as st
from scoring.domain.clock import SHANGHAI, to_instant
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.engine import evaluate_unit
from scoring.domain.facts import FactStore
from scoring.domain.inventory import (
    NETWORK,
    SYSTEM,
    Claim,
    Progress,
    builtin_inventory_rules,
    changes,
    parse_inventory_rules,
    state_at,
)
from scoring.domain.item_checks import RulesetError
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.service import commands as c
from scoring.service import handlers, inventory

from tests.scoring.builders import CITY, DEPT, DEPT2, Log, store_of, uscc

from .fakes import FakeLive, FakeScoringUnitOfWork

RULESET = builtin_ruleset()
RULES = builtin_inventory_rules(RULESET, RULESETS_DIR)
FED = {f.item: f for f in RULES.fed}
GRACE = RULES.grace_working_days
INSPECTOR = Principal("inspector:li", Role.inspector)
NO_A2 = uscc("450000", "00000024")


def t(text: str) -> int:
    return to_instant(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def system(cid: str, entry: str, at: str, *, on_cloud: bool = False, verified: str | None = None,
           rejected: str | None = None, origin: str = "self-built", items: int = 0, docked: int = 0,
           forms: int = 0, retired: bool = False) -> Claim:
    return Claim(cid, entry, t(at), SYSTEM, f"系统{entry}", origin, items,
                 Progress(on_cloud=on_cloud, docked_items=docked, form_items=forms, decommissioned=retired),
                 t(verified) if verified else None, t(rejected) if rejected else None)


def network(cid: str, entry: str, at: str, *, connected: bool = False, decommissioned: bool = False,
            verified: str | None = None) -> Claim:
    return Claim(cid, entry, t(at), NETWORK, f"专网{entry}", None, 0,
                 Progress(connected=connected, decommissioned=decommissioned), t(verified) if verified else None)


def test_the_builtin_rules_feed_the_a1_a2_a3_state_items() -> None:
    assert set(FED) == {"A1.4", "A1.7", "A2.6", "A3.5", "A3.6", "A3.7"}
    assert GRACE == 10 and str(FED["A2.6"].judged_after) == "2019-06-30" and FED["A3.6"].judged_after is None


@pytest.mark.parametrize("text, reason", [
    ('ruleset = "gx-2019"\ngrace_working_days = 10\n[[measure]]\nitem = "B1.3"\nmeasure = "cloud_migration_rate"',
     "not an inspector's item"),
    ('ruleset = "gx-2019"\ngrace_working_days = 10\n[[measure]]\nitem = "A1.4"\nmeasure = "cloud_migration_rate"',
     "A1.4 is a flag item"),
    ('ruleset = "gx-2019"\ngrace_working_days = 10\n[[measure]]\nitem = "A2.6"\nmeasure = "horoscope"',
     "unknown measure"),
    ('ruleset = "gx-2019"\ngrace_working_days = 0', "grace_working_days"),
    ('ruleset = "gx-2020"\ngrace_working_days = 10', "not 'gx-2019'"),
])
def test_a_bad_inventory_rules_file_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(RulesetError, match=reason):
        parse_inventory_rules(text, RULESET, "test.toml")


def test_claimed_progress_counts_in_its_grace_for_good_once_verified_and_no_more_once_rejected() -> None:
    ends = working_deadline_at(t("2019-07-10T09:00:00"), GRACE)
    assert ends == t("2019-07-25T00:00:00")  # ten PRC working days after Wednesday 10 July
    declared = system("c0", "s1", "2019-07-01T09:00:00")
    unverified = system("c1", "s1", "2019-07-10T09:00:00", on_cloud=True)
    late_verified = replace(unverified, verified_at=t("2019-08-01T10:00:00"))
    rejected = replace(unverified, rejected_at=t("2019-07-12T10:00:00"))

    def on_cloud(claims: list[Claim], at: str) -> bool:
        return state_at(claims, t(at), GRACE)[0].done.on_cloud

    assert not on_cloud([declared, unverified], "2019-07-10T08:59:59")
    assert on_cloud([declared, unverified], "2019-07-24T23:59:59")
    assert not on_cloud([declared, unverified], "2019-07-25T00:00:00")  # the grace is over
    assert not on_cloud([declared, late_verified], "2019-07-31T00:00:00")
    assert on_cloud([declared, late_verified], "2019-08-01T10:00:00")  # verified: counts from then on, for good
    assert on_cloud([declared, rejected], "2019-07-12T09:59:59")
    assert not on_cloud([declared, rejected], "2019-07-12T10:00:00")


@given(st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.sampled_from([None, "v", "r"]), st.integers(0, 40),
                          st.integers(0, 3)), min_size=1, max_size=8),
       st.integers(0, 60))
def test_the_state_of_the_past_never_changes(specs: list[tuple[int, bool, str | None, int, int]], x_day: int) -> None:
    """The state at an instant reads only what was claimed and reviewed up to it: claims and reviews made
    later never change it (what makes the findings recorded at an instant final)."""
    base = t("2019-07-01T00:00:00")
    day = 86_400_000_000
    claims = []
    for i, (d, cloud, review, after, entry) in enumerate(specs):
        at = base + d * day
        rev = at + after * day // 2
        claims.append(Claim(f"c{i}", f"s{entry}", at, SYSTEM, "s", "self-built", 0, Progress(on_cloud=cloud),
                            rev if review == "v" else None, rev if review == "r" else None))
    x = base + x_day * day
    seen_then = [replace(cl, verified_at=cl.verified_at if cl.verified_at is not None and cl.verified_at <= x else None,
                         rejected_at=cl.rejected_at if cl.rejected_at is not None and cl.rejected_at <= x else None)
                 for cl in claims if cl.at <= x]
    assert state_at(claims, x, GRACE) == state_at(seen_then, x, GRACE)


def test_the_cloud_migration_rate_follows_what_is_believed_when() -> None:
    """Four self-built systems; two claimed on the cloud (one verified, one left unverified), one claimed
    and rejected: A2.6 is recorded at every change, judged from July (after 2019-06-30)."""
    claims = [system(f"d{i}", f"s{i}", "2019-06-20T10:00:00") for i in range(4)]
    claims += [system("c1", "s1", "2019-07-10T09:00:00", on_cloud=True, verified="2019-07-12T10:00:00"),
               system("c2", "s2", "2019-07-10T09:00:00", on_cloud=True),
               system("c3", "s3", "2019-07-20T09:00:00", on_cloud=True, rejected="2019-07-22T10:00:00")]
    found = changes(DEPT, claims, FED["A2.6"], GRACE, t("2019-09-01T00:00:00"))
    assert [(datetime.fromtimestamp(ch.at / 1e6, SHANGHAI).isoformat(), ch.numerator, ch.denominator)
            for ch in found] == [
        ("2019-07-01T00:00:00+08:00", 0, 4),  # declared in June, judged from July
        ("2019-07-10T09:00:00+08:00", 2, 4),
        ("2019-07-20T09:00:00+08:00", 3, 4),
        ("2019-07-22T10:00:00+08:00", 2, 4),  # rejected
        ("2019-07-25T00:00:00+08:00", 1, 4),  # s2's grace is over, never verified
    ]
    assert all(ch.effect == "rate" and ch.finding_id == f"inv:{DEPT}:A2.6:{ch.at}" for ch in found)
    assert "已迁移上云 1/4" in found[-1].note
    # as of an earlier instant, only what was final by then (less the settling minute)
    early = changes(DEPT, claims, FED["A2.6"], GRACE, t("2019-07-20T09:00:30"))
    assert [ch.numerator for ch in early] == [0, 2]


def test_private_network_flags_hold_until_connected_and_decommissioned() -> None:
    claims = [network("n0", "net", "2019-06-01T10:00:00"),
              network("n1", "net", "2019-07-15T10:00:00", connected=True, verified="2019-07-16T10:00:00"),
              network("n2", "net", "2019-08-20T10:00:00", connected=True, decommissioned=True,
                      verified="2019-08-21T10:00:00"),
              network("o0", "old", "2019-06-01T10:00:00"),  # merged away without ever being connected
              network("o1", "old", "2019-07-20T10:00:00", decommissioned=True, verified="2019-07-22T10:00:00")]
    now = t("2019-09-10T00:00:00")
    a14 = [(ch.effect, ch.at) for ch in changes(DEPT, claims, FED["A1.4"], GRACE, now)]
    a17 = [(ch.effect, ch.at) for ch in changes(DEPT, claims, FED["A1.7"], GRACE, now)]
    assert a14 == [("holds", t("2019-07-01T00:00:00")), ("resolved", t("2019-07-20T10:00:00"))]
    assert a17 == [("holds", t("2019-07-01T00:00:00")), ("resolved", t("2019-08-20T10:00:00"))]


def test_docking_and_form_rates_count_service_items_by_origin() -> None:
    ok = "2019-05-03T10:00:00"  # verified: counts for good
    claims = [system("b", "own", "2019-05-02T10:00:00", items=100, docked=50, forms=100, verified=ok),
              system("v", "vertical", "2019-05-02T10:00:00", origin="national-vertical", items=40, docked=40,
                     verified=ok),
              system("x", "retired", "2019-05-02T10:00:00", items=500, retired=True, verified=ok),
              system("o", "office", "2019-05-02T10:00:00")]  # handles no service item
    now = t("2019-06-01T00:00:00")

    def last(item: str) -> tuple[int | None, int | None]:
        found = changes(DEPT, claims, FED[item], GRACE, now)
        return found[-1].numerator, found[-1].denominator

    assert last("A3.5") == (100, 140) and last("A3.6") == (50, 100) and last("A3.7") == (40, 40)


# ── the handlers ──────────────────────────────────────────────────────────────────────────────────

def unit_log() -> Log:
    log = Log()
    log.register(DEPT)
    log.register(DEPT2)
    log.register(NO_A2, absent=["A2"])
    log.register(CITY, kind="city")
    return log


def claim_cmd(unit: str, entry: str, at: str, **fields: object) -> c.ClaimEntry:
    values: dict[str, object] = {"kind": SYSTEM, "name": "不动产登记系统", "origin": "self-built", "service_items": 0,
                                 "connected": False, "decommissioned": False, "on_cloud": False, "docked_items": 0,
                                 "form_items": 0, "evidence": "桂数函〔2019〕1号"}
    values.update(fields)
    return c.ClaimEntry(actor=Principal(f"department:{unit}", Role.department, unit), unit=unit, entry_id=entry,
                        at=datetime.fromisoformat(at).replace(tzinfo=SHANGHAI), **values)  # type: ignore[arg-type]


def review(unit: str, claim_id: str, at: str, verify: bool, reason: str | None = None) -> c.ReviewClaim:
    return c.ReviewClaim(actor=INSPECTOR, unit=unit, claim_id=claim_id, verify=verify, reason=reason,
                         at=datetime.fromisoformat(at).replace(tzinfo=SHANGHAI))


@pytest.mark.parametrize("fields, detail", [
    ({"kind": NETWORK, "origin": "self-built"}, "a private network has no such thing"),
    ({"kind": NETWORK, "origin": None, "on_cloud": True}, "on_cloud: a private network has no such thing"),
    ({"origin": None}, "origin: say whether"),
    ({"connected": True}, "connected: a private network's link"),
    ({"service_items": 3, "docked_items": 4}, "docked_items: 4 exceeds"),
    ({"origin": "national-vertical", "on_cloud": True}, "not migrated here"),
    ({"evidence": "  "}, "evidence: name the document"),
])
async def test_a_wrong_claim_is_a_422_and_changes_nothing(fields: dict[str, object], detail: str) -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(unit_log()), RULESET, None)
    with pytest.raises(Problem) as refused:
        await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-01T10:00:00", **fields), uow, live)
    assert refused.value.status == 422 and detail in refused.value.detail
    assert not uow.rows.claims and not uow.committed_events


async def test_an_entry_keeps_its_kind_and_a_claim_is_reviewed_once() -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(unit_log()), RULESET, None)
    with pytest.raises(Problem) as stranger:
        await inventory.claim_entry(claim_cmd(uscc("450000", "00000099"), "s1", "2019-07-01T10:00:00"), uow, live)
    assert stranger.value.status == 422
    row = await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-01T10:00:00"), uow, live)
    with pytest.raises(Problem) as other_kind:
        await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-02T10:00:00", kind=NETWORK, origin=None), uow, live)
    assert other_kind.value.status == 409
    with pytest.raises(Problem) as no_reason:
        await inventory.review_claim(review(DEPT, row.claim_id, "2019-07-03T10:00:00", False, " "), uow)
    assert no_reason.value.status == 422
    with pytest.raises(Problem) as wrong_unit:
        await inventory.review_claim(review(DEPT2, row.claim_id, "2019-07-03T10:00:00", True), uow)
    assert wrong_unit.value.status == 404
    done = await inventory.review_claim(review(DEPT, row.claim_id, "2019-07-03T10:00:00", True), uow)
    assert done.status == "verified" and done.reviewer == "inspector:li"
    with pytest.raises(Problem) as again:
        await inventory.review_claim(review(DEPT, row.claim_id, "2019-07-04T10:00:00", False, "x"), uow)
    assert again.value.status == 409
    assert [e.type for e in uow.committed_events] == ["scoring.inventory-claimed", "scoring.inventory-claim-reviewed"]


async def test_an_inspector_types_no_finding_for_an_item_the_inventory_feeds() -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(unit_log()), RULESET, None)

    def typed(item: str, finding_id: str = "f1") -> c.RecordFinding:
        return c.RecordFinding(actor=INSPECTOR, finding_id=finding_id, unit=DEPT, item=item, effect="rate", count=None,
                               numerator=1, denominator=4, size=None, attributed_unit=None, note="",
                               at=datetime(2019, 8, 1, tzinfo=SHANGHAI))

    for cmd, detail in ((typed("A2.6"), "computed from the units' system inventories"),
                        (typed("B4.1", f"inv:{DEPT}:B4.1:1"), "are the hub's own (from system inventories)")):
        with pytest.raises(Problem) as refused:
            await handlers.record_finding(cmd, uow, RULESET, live, frozenset(RULES.items()))
        assert refused.value.status == 422 and detail in refused.value.detail
    await handlers.record_finding(typed("B4.1"), uow, RULESET, live, frozenset(RULES.items()))  # judgement: typed


async def test_the_sweep_records_each_change_once_and_the_findings_score_as_the_rules_say() -> None:
    """DEPT: 4 self-built systems, 1 verified on the cloud, 1 claimed and left unverified; a network connected
    in mid-July. NO_A2 (declared no information system) is not judged on A2. Scored from the events."""
    log = unit_log()
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(log), RULESET, None)
    for i in range(4):
        await inventory.claim_entry(claim_cmd(DEPT, f"s{i}", f"2019-06-2{i}T10:00:00"), uow, live)
    verified = await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-10T09:00:00", on_cloud=True), uow, live)
    await inventory.review_claim(review(DEPT, verified.claim_id, "2019-07-11T09:00:00", True), uow)
    await inventory.claim_entry(claim_cmd(DEPT, "s2", "2019-07-10T09:00:00", on_cloud=True), uow, live)
    await inventory.claim_entry(claim_cmd(DEPT, "net", "2019-06-01T09:00:00", kind=NETWORK, origin=None), uow, live)
    connected = await inventory.claim_entry(claim_cmd(DEPT, "net", "2019-07-15T09:00:00", kind=NETWORK, origin=None,
                                                      connected=True), uow, live)
    await inventory.review_claim(review(DEPT, connected.claim_id, "2019-07-16T09:00:00", True), uow)
    await inventory.claim_entry(claim_cmd(NO_A2, "s9", "2019-06-20T10:00:00"), uow, live)
    now = t("2019-09-02T00:00:00")
    assert await inventory.sweep_inventory(now, uow, RULES, live) > 0
    assert await inventory.sweep_inventory(now, uow, RULES, live) == 0  # each once
    findings = [e for e in uow.committed_events if e.type == "scoring.finding-recorded"]
    assert all(e.data.inspector == "hub:inventory" for e in findings)
    assert not any(e.unit == NO_A2 and e.data.item.startswith("A2") for e in findings)
    a26 = [(e.data.numerator, e.occurred_at.isoformat()) for e in findings if e.unit == DEPT and e.data.item == "A2.6"]
    assert a26 == [(0, "2019-07-01T00:00:00+08:00"), (2, "2019-07-10T09:00:00+08:00"),
                   (1, "2019-07-25T00:00:00+08:00")]

    events = [*(json.loads(json.dumps(e)) for e in log.events), *(json.loads(e.model_dump_json()) for e in findings)]
    scored = FactStore()
    for e in events:
        scored.apply(decode(json.dumps(e)))

    def points(item: str, month: str) -> str | None:
        result = evaluate_unit(RULESET, scored.directory, scored, DEPT, month, now + 40 * 86_400_000_000)
        found = result.items.get(item)
        return f"{found:.2f}" if found is not None else None

    assert points("A2.6", "2019-07") == "4.00"  # 1 of 4 at the end of July: below 30 %
    assert points("A2.6", "2019-06") is None  # judged after 2019-06-30
    assert points("A1.4", "2019-07") == "2.00" and points("A1.4", "2019-08") is None  # connected 15 July
    assert points("A1.7", "2019-08") == "3.00"  # never decommissioned


def test_a_sweep_looks_again_only_at_units_whose_instants_became_final() -> None:
    from scoring.domain.inventory import due

    claims = [system("d", "s1", "2019-06-20T10:00:00"), system("c", "s1", "2019-07-10T09:00:00", on_cloud=True)]
    fed = [FED["A2.6"]]
    assert due(claims, fed, GRACE, None, t("2019-07-11T00:00:00"))  # never swept: everything
    assert not due(claims, fed, GRACE, t("2019-07-12T00:00:00"), t("2019-07-13T00:00:00"))  # nothing in between
    assert due(claims, fed, GRACE, t("2019-07-24T23:00:00"), t("2019-07-25T01:00:00"))  # the grace ended
    assert due(claims, fed, GRACE, t("2019-06-30T00:00:00"), t("2019-07-02T00:00:00"))  # judging began 1 July
    assert not due(claims, fed, GRACE, t("2019-07-10T08:59:00"), t("2019-07-10T09:00:30"))  # still settling


async def test_a_later_sweep_finds_what_came_in_after_the_one_before() -> None:
    log = unit_log()
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(log), RULESET, None)
    await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-01T10:00:00"), uow, live)
    first = t("2019-07-02T00:00:00")
    assert await inventory.sweep_inventory(first, uow, RULES, live) == 1  # A2.6: 0 of 1
    await inventory.claim_entry(claim_cmd(DEPT, "s1", "2019-07-03T10:00:00", on_cloud=True), uow, live)
    assert await inventory.sweep_inventory(t("2019-07-03T09:00:00"), uow, RULES, live, first) == 0
    assert await inventory.sweep_inventory(t("2019-07-04T00:00:00"), uow, RULES, live, t("2019-07-03T09:00:00")) == 1
