"""Catalog rules without servers: freshness across month ends and leap years, share rules, CSV rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from catalog.domain.csv_rows import check_header, parse_row
from catalog.domain.freshness import freshness, stale_at
from catalog.domain.requirements import progress, working_days_left
from catalog.domain.resources import Metadata, Mount, ResourceRejected, changed_fields, check_change
from contracts.workdays import SHANGHAI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

CYCLE_DAYS = {"realtime": 1, "daily": 1, "weekly": 7}
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(SHANGHAI))


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("last", "cycle", "due"),
    [
        (sh(2019, 1, 31, 10), "monthly", sh(2019, 2, 28, 10)),
        (sh(2020, 1, 31, 10), "monthly", sh(2020, 2, 29, 10)),  # leap year
        (sh(2020, 2, 29, 8), "yearly", sh(2021, 2, 28, 8)),
        (sh(2019, 11, 30, 23, 59), "quarterly", sh(2020, 2, 29, 23, 59)),
        (sh(2019, 12, 31, 23), "daily", sh(2020, 1, 1, 23)),
        (sh(2019, 8, 28), "weekly", sh(2019, 9, 4)),
    ],
)
def test_stale_at_examples(last: datetime, cycle: str, due: datetime) -> None:
    assert stale_at(last, cycle) == due


def test_month_cycles_follow_the_shanghai_calendar_not_utc() -> None:
    # 31 Jan 01:00 in Shanghai is still 30 Jan in UTC; the month step is taken on Shanghai's calendar.
    last = sh(2019, 1, 31, 1).astimezone(UTC)
    assert stale_at(last, "monthly") == sh(2019, 2, 28, 1)


@given(instants, st.sampled_from(sorted(CYCLE_DAYS)))
def test_day_cycles_are_exact_durations(last: datetime, cycle: str) -> None:
    assert stale_at(last, cycle) - last == timedelta(days=CYCLE_DAYS[cycle])


@given(instants, st.sampled_from(sorted(MONTHS)))
def test_month_cycles_land_in_the_right_month_on_the_same_or_last_day(last: datetime, cycle: str) -> None:
    due = stale_at(last, cycle).astimezone(SHANGHAI)
    months = MONTHS[cycle]
    assert (due.year * 12 + due.month) - (last.year * 12 + last.month) == months
    assert due.time() == last.time()
    assert due.day == last.day or (due.day < last.day and (due + timedelta(days=1)).month != due.month)
    assert 28 * months <= (due - last).days <= 31 * months + 1


@given(instants, instants, st.sampled_from(sorted(CYCLE_DAYS) + sorted(MONTHS)))
def test_a_later_update_never_makes_data_stale_sooner(a: datetime, b: datetime, cycle: str) -> None:
    early, late = sorted((a, b))
    assert stale_at(early, cycle) <= stale_at(late, cycle)


@given(instants, st.sampled_from(sorted(CYCLE_DAYS) + sorted(MONTHS)), st.integers(0, 400 * 24))
def test_stale_exactly_from_stale_at(last: datetime, cycle: str, hours: int) -> None:
    now = last + timedelta(hours=hours)
    f = freshness(last, cycle, now)
    assert f.stale == (now >= stale_at(last, cycle))
    assert f.remaining == f.stale_at - now


def test_naive_and_unknown_cycles_are_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        stale_at(datetime(2019, 1, 1), "daily")
    with pytest.raises(ValueError, match="unknown update cycle"):
        stale_at(sh(2019, 1, 1), "hourly")


BASE = {"name": "企业基本信息", "share_type": "unconditional", "update_cycle": "daily"}


def test_share_rules_of_the_guide() -> None:
    with pytest.raises(ValidationError, match="share_basis: a not_shared resource must cite"):
        Metadata.model_validate({**BASE, "share_type": "not_shared", "share_basis": "  "})
    with pytest.raises(ValidationError, match="share_condition: a conditional resource must state"):
        Metadata.model_validate({**BASE, "share_type": "conditional"})
    Metadata.model_validate({**BASE, "share_type": "not_shared", "share_basis": "《中华人民共和国保守国家秘密法》"})
    Metadata.model_validate({**BASE, "share_type": "conditional", "share_condition": "仅用于市场监管执法"})
    with pytest.raises(ValidationError, match="items: the information item '名称' appears twice"):
        Metadata.model_validate({**BASE, "items": [{"name": "名称", "type": "string"}] * 2})


def test_a_secret_resource_is_never_shared_nor_open_and_other_units_never_see_it() -> None:
    from catalog.domain.resources import Resource

    basis = {"share_type": "not_shared", "share_basis": "《中华人民共和国保守国家秘密法》"}
    with pytest.raises(ValidationError, match="share_type: a secret resource"):
        Metadata.model_validate({**BASE, "secret": True})
    with pytest.raises(ValidationError, match="open_type: a secret resource"):
        Metadata.model_validate({**BASE, **basis, "secret": True, "open_type": "open"})
    secret = Metadata.model_validate({**BASE, **basis, "secret": True, "open_type": "not_open"})
    owner, other = "11450000MB1519000K", "11450000MB0000019D"
    r = Resource(code="330045450000MB1519000000001", provider=owner, status="published", version=1,
                 metadata=secret, published_at=sh(2019, 8, 1))
    assert (r.hidden_from(other), r.hidden_from(owner), r.hidden_from(None)) == (True, False, False)
    plain = r.model_copy(update={"metadata": Metadata.model_validate({**BASE, **basis})})
    assert not plain.hidden_from(other) and plain.model_copy(update={"status": "draft"}).hidden_from(other)


def test_name_is_fixed_once_published_other_fields_versioned() -> None:
    old = Metadata.model_validate(BASE)
    renamed = old.model_copy(update={"name": "企业信息"})
    check_change("draft", old, renamed)
    with pytest.raises(ResourceRejected, match="keeps its name"):
        check_change("published", old, renamed)
    assert changed_fields(old, old.model_copy(update={"summary": "x", "update_cycle": "weekly"})) == [
        "summary", "update_cycle"]


def test_mounts_say_what_a_consumer_needs() -> None:
    with pytest.raises(ValidationError, match="url, method: a api mount needs url and method"):
        Mount.model_validate({"kind": "api"})
    with pytest.raises(ValidationError, match="not an http"):
        Mount.model_validate({"kind": "file", "url": "c:/data.xls", "file_name": "data.xls"})
    m = Mount.model_validate({"kind": "table", "system": "市场主体库", "table": "t_enterprise"})
    assert m.access() == {"system": "市场主体库", "table": "t_enterprise"}


def test_working_days_left_counts_today_and_the_deadline() -> None:
    # 2019-09-30 (Mon) is a working day; 10-01..10-07 are the National Day holidays.
    assert working_days_left(date(2019, 10, 8), sh(2019, 9, 30, 9)) == 2
    assert working_days_left(date(2019, 10, 8), sh(2019, 10, 3, 9)) == 1
    assert working_days_left(date(2019, 10, 8), sh(2019, 10, 9, 9)) == 0
    p = progress("b1", "first_batch_catalog", "u", date(2019, 10, 8), ["a", "b", "c"], {"a", "b"}, {"a"},
                 sh(2019, 10, 9, 9))
    assert (p.required, p.published, p.mounted, p.missing, p.overdue) == (3, 2, 1, ("b", "c"), True)


def test_csv_rows_are_parsed_or_refused_with_the_column() -> None:
    with pytest.raises(ResourceRejected, match="missing column\\(s\\) update_cycle; unknown column\\(s\\) colour"):
        check_header(["provider", "name", "share_type", "colour"])
    row = {"provider": "P", "resource_code": "", "name": "企业基本信息", "share_type": "conditional",
           "share_condition": "执法", "update_cycle": "monthly", "items": "统一社会信用代码:string:18; 名称:string",
           "related_codes": "", "publish": "true"}
    parsed = parse_row(row)
    assert (parsed.provider, parsed.resource_code, parsed.publish, parsed.catalog) == ("P", None, True, None)
    assert [(i.name, i.length) for i in parsed.metadata.items] == [("统一社会信用代码", 18), ("名称", None)]
    based = parse_row({**row, "catalog": "base", "item": "01"})
    assert (based.catalog, based.item) == ("base", "01") and based.metadata == parsed.metadata
    with pytest.raises(ResourceRejected, match="catalog: 'basic' is not one of base, theme, department"):
        parse_row({**row, "catalog": "basic"})
    with pytest.raises(ResourceRejected, match="update_cycle: Input should be"):
        parse_row({"provider": "P", "name": "n", "share_type": "unconditional", "update_cycle": "hourly"})
    with pytest.raises(ResourceRejected, match="items: 'x' is not name:type"):
        parse_row({"provider": "P", "name": "n", "share_type": "unconditional", "update_cycle": "daily", "items": "x"})


def test_a_csv_row_may_say_a_resource_is_secret_and_is_held_to_its_rules() -> None:
    row = {"provider": "P", "name": "涉密名录", "share_type": "not_shared", "share_basis": "《保守国家秘密法》",
           "update_cycle": "yearly", "secret": "true"}
    assert parse_row(row).metadata.secret is True and parse_row({**row, "secret": ""}).metadata.secret is False
    with pytest.raises(ResourceRejected, match="share_type: a secret resource"):
        parse_row({**row, "share_type": "unconditional", "share_basis": ""})
