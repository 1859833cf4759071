"""Base, theme and department catalogs (seed 003 §5.3.1) and the code lists on an in-memory unit of work: codes
by kind and item, what a base or theme resource may gather, domains from the list; refusals change nothing."""

from __future__ import annotations

import pytest
from catalog.service import commands as c
from catalog.service import handlers
from catalog.service.imports import import_csv
from contracts.values import build_resource_code
from hubkit.problems import Problem

from .fakes import FakeCatalogUnitOfWork
from .test_handlers import AT, DEPARTMENT, META, UNIT, draft, registered


def create(**kw: object) -> c.CreateResource:
    args: dict[str, object] = dict(actor=DEPARTMENT, provider=UNIT, metadata=META, resource_code=None, at=AT)
    return c.CreateResource(**(args | kw))  # type: ignore[arg-type]


async def test_each_catalog_kind_numbers_its_own_codes_and_a_base_resource_gathers_department_ones() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    department = await draft(uow)
    base = await handlers.create_resource(create(catalog="base", item="01", metadata=META.model_copy(
        update={"name": "人口基础信息", "related_codes": [department], "domain": "社会保障"})), uow)
    theme = await handlers.create_resource(create(catalog="theme", item="01", metadata=META.model_copy(
        update={"name": "营商环境主题"})), uow)
    assert department == build_resource_code("450000", UNIT, 1)
    assert base.code == build_resource_code("450000", UNIT, 1, "base", "01") and base.catalog_kind == "base"
    assert theme.code.startswith("201045") and theme.code.endswith("000001")
    second = await handlers.create_resource(create(catalog="base", item="01", metadata=META.model_copy(
        update={"name": "人口基础信息二"})), uow)
    assert second.code.endswith("000002")  # numbered within its kind and item


@pytest.mark.parametrize(("kw", "field"), [
    ({"catalog": "base"}, "item: a base resource names its item"),
    ({"catalog": "theme", "item": "99"}, "item: '99' is not an item"),
    ({"metadata": META.model_copy(update={"domain": "火星开发"})}, "domain: '火星开发' is not a domain"),
    ({"catalog": "base", "item": "02", "metadata": META.model_copy(update={"related_codes": [
        build_resource_code("450000", UNIT, 9)]})}, "related_codes.0: 330045450000"),  # not catalogued
    ({"catalog": "theme", "item": "03", "metadata": META.model_copy(update={"related_codes": [
        build_resource_code("450000", UNIT, 1, "base", "01")]})}, "gathers department resources"),
    ({"resource_code": build_resource_code("450000", UNIT, 5, "base", "01")}, None),  # imported base code: fine
    ({"resource_code": build_resource_code("450000", UNIT, 6, "base", "01"), "catalog": "department"},
     "is a base resource (类 1), not of the department catalog"),
    ({"resource_code": build_resource_code("450000", UNIT, 7, "theme", "02"), "item": "03"},
     "its item (项) is 02, not 03"),
])
async def test_a_code_or_metadata_against_the_code_lists_is_refused(kw: dict[str, object], field: str | None) -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    before = dict(uow.resources.rows)
    if field is None:
        made = await handlers.create_resource(create(**kw), uow)
        assert made.catalog_kind == "base"
        return
    with pytest.raises(Problem) as refused:
        await handlers.create_resource(create(**kw), uow)
    assert refused.value.status == 422 and field in refused.value.detail, refused.value.detail
    assert dict(uow.resources.rows) == before


async def test_a_change_is_checked_against_the_lists_of_its_day() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    code = await draft(uow)
    with pytest.raises(Problem) as refused:
        await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=META.model_copy(
            update={"domain": "不存在的领域"}), at=AT), uow)
    assert refused.value.status == 422 and "GET /code-lists" in refused.value.detail
    assert uow.resources.rows[code].metadata == META


async def test_an_import_numbers_a_base_resource_in_its_catalog() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    text = ("provider,name,share_type,update_cycle,catalog,item\n"
            f"{UNIT},人口综合库,unconditional,daily,base,01\n"
            f"{UNIT},主题库,unconditional,daily,theme,\n")  # a theme resource names its item
    report = await import_csv(c.ImportCsv(actor=DEPARTMENT, text=text, at=AT), uow)
    assert report.imported == [build_resource_code("450000", UNIT, 1, "base", "01")]
    assert [(e.row, "names its item" in e.reason) for e in report.errors] == [(2, True)]
