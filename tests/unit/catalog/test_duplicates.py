"""Candidate duplicates across units (#18 part 4) and the bureau's decisions, without a database: what is rare
and shared makes a pair, what every resource has (a credit-code item, a unit's name in the resource's) does not;
a decision is taken once, by the bureau, on published department resources of two units."""

from __future__ import annotations

import pytest
from catalog.domain.duplicates import candidates
from catalog.domain.resources import Metadata, Resource
from catalog.service import commands as c
from catalog.service import duplicates
from contracts.catalog import InformationItem
from contracts.values import build_resource_code, make_uscc
from hubkit.problems import Problem

from .fakes import FakeCatalogUnitOfWork
from .test_handlers import AT, DEPARTMENT, OPERATOR

POLICE, CIVIL, HEALTH = (make_uscc("450000", m) for m in ("MB160001", "MB160002", "MB160003"))
NAMES = {POLICE: "广西壮族自治区公安厅", CIVIL: "广西壮族自治区民政厅", HEALTH: "广西壮族自治区卫生健康委员会"} | {
    make_uscc("450000", f"MB1701{n:02d}"): f"广西壮族自治区第{n}厅" for n in range(10)}


def resource(unit: str, serial: int, name: str, *items: str, system: str | None = None,
             status: str = "published") -> Resource:
    meta = Metadata(name=name, share_type="unconditional", update_cycle="daily",
                    items=[InformationItem(name=i, type="string") for i in items])
    return Resource(code=build_resource_code("450000", unit, serial), provider=unit, status=status,  # type: ignore[arg-type]
                    version=1, metadata=meta, mount_kind="table" if system else None,
                    mount_access={"system": system, "table": "t"} if system else None)


def background() -> list[Resource]:
    """Each of 13 units' everyday resources: the same two identifying items, its own name in each resource's
    name (as in the demo)."""
    kinds = ["行政许可信息", "行政处罚信息", "监管对象名录", "业务办理结果", "统计年报数据"]
    return [resource(u, n + 1, f"{NAMES[u].removeprefix('广西壮族自治区')}{k}", "统一社会信用代码", "名称")
            for u in NAMES for n, k in enumerate(kinds)]


def test_rare_shared_items_make_a_candidate_and_everyday_resources_do_not() -> None:
    people = resource(POLICE, 20, "户籍人口基本信息", "公民身份号码", "姓名", "性别", "出生日期", "户籍地址")
    again = resource(CIVIL, 20, "人口户籍信息", "公民身份号码", "姓名", "性别", "出生日期", "婚姻登记状况")
    own = resource(POLICE, 21, "户籍人口基本信息（副本）", "公民身份号码", "姓名", "性别", "出生日期", "户籍地址")
    found = candidates([*background(), people, again, own], set(), NAMES)
    # The civil affairs' resource pairs with both of the police's; the police's own copy is not across units,
    # and no pair of everyday resources is proposed.
    assert {(x.a, x.b) for x in found} == {(people.code, again.code), (own.code, again.code)}
    assert all(x.reasons[0].startswith("items: 4 of 6 the same") for x in found)
    assert candidates([*background(), people, again], {(people.code, again.code)}, NAMES) == []  # decided


def test_alike_names_and_one_source_system_make_a_candidate() -> None:
    clinic = resource(HEALTH, 30, "医疗机构执业登记信息", "机构名称", system="卫健前置库")
    again = resource(CIVIL, 30, "医疗机构执业登记", "机构名称", system="卫健前置库")
    found = candidates([*background(), clinic, again], set(), NAMES)
    assert [(x.a, x.b) for x in found] == [(again.code, clinic.code) if again.code < clinic.code else
                                           (clinic.code, again.code)]
    assert any(r.startswith("name:") for r in found[0].reasons)
    assert any(r.startswith("system: both tables sit in 卫健前置库") for r in found[0].reasons)


async def seeded(*rows: Resource) -> FakeCatalogUnitOfWork:
    uow = FakeCatalogUnitOfWork()
    for r in rows:
        uow.resources.rows[r.code] = r
    return uow


@pytest.mark.parametrize(("codes", "decision", "authoritative", "status"), [
    ((0, 1), "confirm", None, 422),  # which is authoritative?
    ((0, 1), "dismiss", 0, 422),
    ((0, 0), "dismiss", None, 422),
    ((0, 2), "dismiss", None, 422),  # the same unit's
    ((0, 3), "dismiss", None, 422),  # a draft
    ((0, 9), "dismiss", None, 404),
])
async def test_a_refused_decision_changes_nothing(codes: tuple[int, int], decision: str, authoritative: int | None,
                                                  status: int) -> None:
    rows = [resource(POLICE, 1, "甲"), resource(CIVIL, 1, "乙"), resource(POLICE, 2, "丙"),
            resource(HEALTH, 1, "丁", status="draft")]
    uow = await seeded(*rows)
    code = [r.code for r in rows] + [build_resource_code("450000", HEALTH, 99)] * 6
    cmd = c.DecideDuplicate(actor=OPERATOR, codes=(code[codes[0]], code[codes[1]]), decision=decision,  # type: ignore[arg-type]
                            authoritative=None if authoritative is None else code[authoritative], reason=None, at=AT)
    with pytest.raises(Problem) as refused:
        await duplicates.decide(cmd, uow)
    assert refused.value.status == status and not uow.duplicates.rows and not uow.committed_events


async def test_the_bureau_confirms_once_naming_the_authoritative_source() -> None:
    first, second = resource(POLICE, 1, "户籍人口"), resource(CIVIL, 1, "人口户籍")
    uow = await seeded(first, second)
    confirm = c.DecideDuplicate(actor=OPERATOR, codes=(second.code, first.code), decision="confirm",
                                authoritative=first.code, reason="公安厅为第一采集部门", at=AT)
    with pytest.raises(Problem) as unit:
        await duplicates.decide(c.DecideDuplicate(**{**confirm.__dict__, "actor": DEPARTMENT}), uow)
    assert unit.value.status == 403
    done = await duplicates.decide(confirm, uow)
    assert done["codes"] == sorted([first.code, second.code]) and done["authoritative"] == first.code
    event = uow.committed_events[-1]
    assert event.type == "catalog.duplicate-decided" and event.unit == POLICE
    with pytest.raises(Problem) as again:
        await duplicates.decide(confirm, uow)
    assert again.value.status == 409 and len(uow.committed_events) == 1
