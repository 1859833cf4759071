"""The catalog's use cases on an in-memory unit of work: what each command changes, which events it
commits, and that a refusal changes nothing and says nothing. No database, no broker."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from catalog.domain.resources import Metadata, Mount, Resource
from catalog.domain.units import Unit
from catalog.service import commands as c
from catalog.service import handlers, reviews
from catalog.service.imports import import_csv
from contracts.values import build_resource_code, make_uscc
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeCatalogUnitOfWork

AT = datetime(2019, 8, 1, 23, 30, tzinfo=ZoneInfo("UTC"))  # 07:30 on 2 August in Shanghai
UNIT = make_uscc("450000", "MB151900")
OTHER = make_uscc("450000", "MB152000")
OPERATOR = Principal("operator:hub", Role.operator)
DEPARTMENT = Principal(f"department:{UNIT}", Role.department, unit=UNIT)
OUTSIDER = Principal(f"department:{OTHER}", Role.department, unit=OTHER)
META = Metadata(name="企业登记信息", share_type="unconditional", update_cycle="daily")


def types(uow: FakeCatalogUnitOfWork) -> list[str]:
    return [e.type for e in uow.committed_events]


async def registered(uow: FakeCatalogUnitOfWork, *units: str) -> None:
    for u in units:
        unit = Unit(uscc=u, name=f"厅{u[-4:]}", kind="department", division_code="450000", parent_unit=None,
                    absent_indicators=())
        await handlers.register_unit(c.RegisterUnit(actor=OPERATOR, unit=unit, at=AT), uow)


async def draft(uow: FakeCatalogUnitOfWork, actor: Principal = DEPARTMENT) -> str:
    made = await handlers.create_resource(c.CreateResource(actor=actor, provider=UNIT, metadata=META,
                                                           resource_code=None, at=AT), uow)
    return made.code


async def publish(uow: FakeCatalogUnitOfWork, code: str, actor: Principal = DEPARTMENT) -> Resource:
    """Submit and have the bureau approve with no notice period: published at once."""
    await reviews.submit(c.SubmitResource(actor=actor, code=code, at=AT), uow)
    return await reviews.decide(c.DecideReview(actor=OPERATOR, code=code, decision="approve", reasons=(),
                                               notice_days=0, at=AT), uow)


async def test_a_registration_is_an_event_once_and_again_only_when_it_changed() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    await registered(uow, UNIT)
    assert types(uow) == ["registry.unit-registered"] and uow.committed == 2
    county = Unit(uscc=OTHER, name="阳朔县", kind="county", division_code="450321", parent_unit=UNIT,
                  absent_indicators=())
    with pytest.raises(Problem) as refused:  # its parent is a department, not a city
        await handlers.register_unit(c.RegisterUnit(actor=OPERATOR, unit=county, at=AT), uow)
    assert refused.value.status == 422 and OTHER not in uow.units.rows and len(uow.committed_events) == 1


async def test_a_draft_gets_the_next_serial_and_no_event_until_published() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    first, second = await draft(uow), await draft(uow)
    assert (first, second) == (build_resource_code("450000", UNIT, 1), build_resource_code("450000", UNIT, 2))
    assert types(uow) == ["registry.unit-registered"]
    published = await publish(uow, first)
    assert published.status == "published"
    event = uow.committed_events[-1]
    assert event.type == "catalog.resource-published" and event.unit == UNIT and event.occurred_at == AT
    assert event.data.provider_name == f"厅{UNIT[-4:]}"  # type: ignore[attr-defined]
    assert event.data.publish_date == date(2019, 8, 2)  # type: ignore[attr-defined]  # the Shanghai day
    assert event.data.control_parameters is None  # type: ignore[attr-defined]  # not said: false
    controlled = await handlers.create_resource(c.CreateResource(
        actor=DEPARTMENT, provider=UNIT, metadata=META.model_copy(update={"control_parameters": True}),
        resource_code=None, at=AT), uow)
    await publish(uow, controlled.code)
    assert uow.committed_events[-1].data.control_parameters is True  # type: ignore[attr-defined]
    with pytest.raises(Problem) as again:
        await reviews.submit(c.SubmitResource(actor=DEPARTMENT, code=first, at=AT), uow)
    assert again.value.status == 409 and types(uow).count("catalog.resource-published") == 2
    assert len(uow.committed_events) == 7  # two submissions, two approvals, two publications


async def test_another_units_department_changes_nothing_and_says_nothing() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT, OTHER)
    with pytest.raises(Problem) as refused:
        await draft(uow, actor=OUTSIDER)
    assert refused.value.status == 403 and not uow.resources.rows
    code = await draft(uow)
    before = dict(uow.resources.rows), list(uow.committed_events)
    for cmd in (c.SubmitResource(actor=OUTSIDER, code=code, at=AT),
                c.ChangeMetadata(actor=OUTSIDER, code=code, metadata=META, at=AT)):
        with pytest.raises(Problem) as refused:
            await (reviews.submit(cmd, uow) if isinstance(cmd, c.SubmitResource)
                   else handlers.change_metadata(cmd, uow))
        assert refused.value.status == 403
    assert (dict(uow.resources.rows), list(uow.committed_events)) == before


async def test_mount_update_unmount_each_say_so_once() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    code = await draft(uow)
    api = Mount(kind="api", url="https://api.example.gov.cn/v1/companies", method="GET")
    with pytest.raises(Problem) as early:  # a draft is not mounted
        await handlers.mount_resource(c.MountResource(actor=DEPARTMENT, code=code, mount=api, at=AT), uow)
    assert early.value.status == 409
    await publish(uow, code)
    for _ in range(2):  # the same mount again: nothing happened
        await handlers.mount_resource(c.MountResource(actor=DEPARTMENT, code=code, mount=api, at=AT), uow)
    await handlers.report_update(c.ReportUpdate(actor=DEPARTMENT, code=code, records=10, at=AT), uow)
    await handlers.unmount_resource(c.UnmountResource(actor=DEPARTMENT, code=code, reason="moved", at=AT), uow)
    with pytest.raises(Problem) as gone:
        await handlers.report_update(c.ReportUpdate(actor=DEPARTMENT, code=code, records=1, at=AT), uow)
    assert gone.value.status == 409
    assert types(uow)[1:] == ["catalog.review-submitted", "catalog.review-decided", "catalog.resource-published",
                              "catalog.resource-mounted", "catalog.resource-updated", "catalog.resource-unmounted"]
    assert [e.data.origin for e in uow.committed_events if e.type == "catalog.resource-updated"] == ["reported"]


@pytest.mark.parametrize(("mount", "path"), [(Mount(kind="table", system="前置库", table="t_ent"), "/batches"),
                                             (Mount(kind="file", url="https://f.example/a.xlsx", file_name="a.xlsx"),
                                              "/versions")])
async def test_tables_and_files_are_updated_by_their_deliveries_not_by_reports(mount: Mount, path: str) -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    code = await draft(uow)
    await publish(uow, code)
    await handlers.mount_resource(c.MountResource(actor=DEPARTMENT, code=code, mount=mount, at=AT), uow)
    before = (dict(uow.resources.rows), list(uow.committed_events))
    with pytest.raises(Problem) as refused:
        await handlers.report_update(c.ReportUpdate(actor=DEPARTMENT, code=code, records=10, at=AT), uow)
    assert refused.value.status == 409 and path in refused.value.detail
    assert (dict(uow.resources.rows), list(uow.committed_events)) == before


async def test_a_published_name_is_fixed_and_a_real_change_is_a_new_version() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    code = await draft(uow)
    await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=META.model_copy(
        update={"name": "企业基本信息"}), at=AT), uow)  # a draft's name may still change, silently
    await publish(uow, code)
    current = uow.resources.rows[code].metadata
    with pytest.raises(Problem) as fixed:
        await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=current.model_copy(
            update={"name": "别的名字"}), at=AT), uow)
    assert fixed.value.kind == "name-fixed"
    same = await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=current, at=AT), uow)
    submitted = await handlers.change_metadata(c.ChangeMetadata(
        actor=DEPARTMENT, code=code, metadata=current.model_copy(update={"summary": "每日更新的企业登记信息"}), at=AT),
        uow)
    # A published resource's change waits for the bureau: the resource is as it was until approved.
    assert (same.version, submitted.version, submitted.metadata.summary) == (1, 1, None)
    changed = await reviews.decide(c.DecideReview(actor=OPERATOR, code=code, decision="approve", reasons=(),
                                                  notice_days=0, at=AT), uow)
    assert (changed.version, changed.metadata.summary) == (2, "每日更新的企业登记信息")
    assert types(uow)[1:] == ["catalog.review-submitted", "catalog.review-decided", "catalog.resource-published",
                              "catalog.review-submitted", "catalog.review-decided",
                              "catalog.resource-metadata-changed"]


async def test_an_import_keeps_good_rows_reports_bad_ones_and_only_the_good_rows_speak() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT)
    text = ("provider,name,share_type,update_cycle,publish\n"
            f"{UNIT},企业登记信息,unconditional,daily,true\n"
            f"{OTHER},别人的资源,unconditional,daily,true\n"  # a department imports its own only
            "not-a-uscc,坏代码,unconditional,daily,false\n"
            f"{UNIT},行政许可信息,conditional,monthly,false\n")  # conditional needs its condition
    report = await import_csv(c.ImportCsv(actor=DEPARTMENT, text=text, at=AT), uow)
    assert report.imported == [build_resource_code("450000", UNIT, 1)]
    # A department's row marked for publication goes to the bureau's review; the bureau's own import publishes.
    assert (report.published, report.submitted) == (0, 1)
    assert [(e.row, e.line) for e in report.errors] == [(2, 3), (3, 4), (4, 5)]
    assert "provider" in report.errors[1].reason
    assert list(uow.resources.rows) == report.imported
    assert types(uow) == ["registry.unit-registered", "catalog.review-submitted"]
    rows = f"provider,name,share_type,update_cycle,publish\n{UNIT},企业年报信息,unconditional,yearly,true\n"
    bureau = await import_csv(c.ImportCsv(actor=OPERATOR, text=rows, at=AT), uow)
    assert (bureau.published, bureau.submitted) == (1, 0) and types(uow)[-1] == "catalog.resource-published"


async def test_a_batch_names_only_each_units_own_codes_and_speaks_for_the_units_it_changed() -> None:
    uow = FakeCatalogUnitOfWork()
    await registered(uow, UNIT, OTHER)
    mine, theirs = build_resource_code("450000", UNIT, 1), build_resource_code("450000", OTHER, 1)

    def batch(*parts: c.UnitPart) -> c.AssignBatch:
        return c.AssignBatch(actor=OPERATOR, batch_id="b1", batch_kind="first_batch_catalog", title="第一批",
                             deadline=date(2019, 9, 30), units=parts, at=AT)

    with pytest.raises(Problem) as wrong:
        await handlers.assign_batch(batch(c.UnitPart(UNIT, (theirs,))), uow)
    assert wrong.value.status == 422
    first = await handlers.assign_batch(batch(c.UnitPart(UNIT, (mine,)), c.UnitPart(OTHER, (theirs,))), uow)
    again = await handlers.assign_batch(batch(c.UnitPart(UNIT, (mine,)), c.UnitPart(OTHER, (theirs,))), uow)
    assert (first, again) == ([UNIT, OTHER], [])
    assert types(uow).count("catalog.requirement-assigned") == 2
