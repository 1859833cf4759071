"""Licenses tied to the service items they replace paper in (#19 part 4, 免证办): a department lists the
items it handles with the license types each accepts and the materials a license replaces; a use names the
item and the materials it waived, which must be on the item's list for the license's type; the count the
use event carries (what scoring's E1.1 reads) is the count of those materials."""

from __future__ import annotations

from dataclasses import replace

import pytest
from elicense.domain import license_types
from elicense.domain.service_items import Acceptance
from elicense.service import commands as c
from elicense.service import handlers
from elicense.service import service_items as items
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeElicenseUnitOfWork
from .test_handlers import AT, BUSINESS_LICENSE, HASHER, ISSUER, OTHER, WINDOW, data, dept, push, sealed_pdf

TYPES = license_types.load()
FOOD = next(code for code, t in TYPES.items() if t.name == "食品经营许可证")
OPENING = c.ListItem(actor=dept(WINDOW), code="450000-QYKB-001", name="企业开办", handling_unit=WINDOW,
                     accepts=(Acceptance(BUSINESS_LICENSE, ("营业执照复印件", "营业执照副本")),), at=AT)


def use(use_id: str, **over: object) -> c.RecordUse:
    base = c.RecordUse(actor=dept(WINDOW), license_id="L-1", item=None, waived_materials=None, use_id=use_id, at=AT,
                       today=AT.date(), item_code=OPENING.code, materials=("营业执照复印件",))
    return replace(base, **over)  # type: ignore[arg-type]


async def ready() -> FakeElicenseUnitOfWork:
    uow = FakeElicenseUnitOfWork()
    await handlers.push_license(push(data()), uow, TYPES, HASHER, sealed_pdf)
    await handlers.grant_use(c.GrantUse(actor=dept(ISSUER), issuer=ISSUER, user_unit=WINDOW, license_types=None,
                                        at=AT), uow)
    return uow


async def test_a_use_in_a_listed_item_waives_what_its_list_says_and_counts_it() -> None:
    uow = await ready()
    item, changed = await items.list_item(OPENING, uow, TYPES)
    assert changed and item.version == 1
    assert (await items.list_item(OPENING, uow, TYPES))[1] is False  # the same listing again: nothing
    done = await handlers.record_use(use("u-1", materials=("营业执照复印件", "营业执照副本")), uow)
    assert (done["item"], done["waived_materials"]) == ("企业开办", 2)
    assert uow.licenses.uses["u-1"]["materials"] == ("营业执照复印件", "营业执照副本")
    used = uow.committed_events[-1]
    assert used.type == "elicense.license-used" and used.data.waived_materials == 2  # type: ignore[attr-defined]
    listed = [e for e in uow.committed_events if e.type == "elicense.service-item-listed"]
    assert len(listed) == 1 and listed[0].unit == WINDOW


@pytest.mark.parametrize(("over", "why"), [
    ({"materials": ("户口簿",)}, "is not what a"),
    ({"materials": ("营业执照复印件", "营业执照复印件")}, "named twice"),
    ({"waived_materials": 3}, "but 1 materials are named"),
    ({"item_code": "450000-NONE-001"}, "not a listed service item"),
    ({"item_code": None, "materials": ()}, "name a listed service item"),
    ({"item_code": None, "item": "企业开办", "materials": ("营业执照复印件",), "waived_materials": 1},
     "name a listed service item"),
])
async def test_a_use_that_does_not_match_the_items_list_is_a_422_and_records_nothing(over: dict[str, object],
                                                                                    why: str) -> None:
    uow = await ready()
    await items.list_item(OPENING, uow, TYPES)
    with pytest.raises(Problem) as refused:
        await handlers.record_use(use("u-1", **over), uow)
    assert refused.value.status == 422 and why in str(refused.value.detail)
    assert not uow.licenses.uses


async def test_an_item_that_does_not_accept_the_licenses_type_refuses_the_use() -> None:
    uow = await ready()
    await items.list_item(replace(OPENING, accepts=(Acceptance(FOOD, ("食品经营许可证复印件",)),)), uow, TYPES)
    with pytest.raises(Problem) as refused:
        await handlers.record_use(use("u-1"), uow)
    assert refused.value.status == 422 and "does not accept licenses of type" in str(refused.value.detail)


async def test_a_window_not_on_the_list_yet_records_its_item_in_words() -> None:
    uow = await ready()
    done = await handlers.record_use(use("u-1", item_code=None, materials=(), item="社会保障卡申领",
                                         waived_materials=1), uow)
    assert (done["item"], done["item_code"], done["waived_materials"]) == ("社会保障卡申领", None, 1)


@pytest.mark.parametrize(("over", "status", "why"), [
    ({"actor": dept(OTHER)}, 403, "lists the items it handles"),
    ({"actor": Principal("inspector:x", Role.inspector)}, 403, "does not list"),
    ({"code": "企业开办"}, 422, "code"),
    ({"accepts": (Acceptance("11100000MB0143028R999", ("x",)),)}, 422, "not a registered license type"),
    ({"accepts": (Acceptance(BUSINESS_LICENSE, ()),)}, 422, "name each material"),
    ({"accepts": (Acceptance(BUSINESS_LICENSE, ("a",)), Acceptance(BUSINESS_LICENSE, ("b",)))}, 422, "twice"),
    ({"actor": Principal("operator:hub", Role.operator), "handling_unit": "nope"}, 422, "handling_unit"),
])
async def test_a_wrong_listing_is_refused_and_changes_nothing(over: dict[str, object], status: int, why: str) -> None:
    uow = FakeElicenseUnitOfWork()
    with pytest.raises(Problem) as refused:
        await items.list_item(replace(OPENING, **over), uow, TYPES)  # type: ignore[arg-type]
    assert refused.value.status == status and why in str(refused.value.detail)
    assert not uow.items.items and not uow.committed_events


async def test_a_change_is_the_items_next_version_and_another_department_cannot_take_it_over() -> None:
    uow = FakeElicenseUnitOfWork()
    await items.list_item(OPENING, uow, TYPES)
    changed, _ = await items.list_item(replace(OPENING, accepts=(*OPENING.accepts, Acceptance(FOOD, ("许可证",)))),
                                       uow, TYPES)
    assert changed.version == 2
    with pytest.raises(Problem) as taken:
        await items.list_item(replace(OPENING, actor=dept(OTHER), handling_unit=OTHER), uow, TYPES)
    assert taken.value.status == 403
