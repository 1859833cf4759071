"""The catalog's write use cases: one handler per command, each one transaction and its events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from contracts.base import Payload
from contracts.catalog import RequirementAssigned, ResourceMounted, ResourceUnmounted, ResourceUpdated
from contracts.code_lists import CatalogKind
from contracts.registry_events import UnitRegistered
from contracts.resource_codes import build_resource_code, parse_resource_code, prefix, resource_code_matches_provider
from hubkit.auth import Principal
from hubkit.problems import Problem, conflict, invalid

from catalog.domain import reviews as flow
from catalog.domain.resources import (
    Metadata,
    Resource,
    ResourceRejected,
    changed_fields,
    check_change,
    check_code_lists,
)
from catalog.domain.units import UnitRejected, check_parent
from catalog.service import commands as c
from catalog.service import steps
from catalog.service.errors import rejected
from catalog.service.ports import CatalogUnitOfWork


async def register_unit(cmd: c.RegisterUnit, uow: CatalogUnitOfWork) -> bool:
    """Register a unit or change its registration; False (and no event) when nothing changed."""
    unit = cmd.unit
    try:
        payload = UnitRegistered(name=unit.name, kind=unit.kind, division_code=unit.division_code,
                                 parent_unit=unit.parent_unit, absent_indicators=list(unit.absent_indicators),
                                 exempt_from=unit.exempt_from, exempt_basis=unit.exempt_basis)
    except ValueError as exc:  # the event's own rules (a county names its city, ...)
        raise rejected(exc, "unit") from None
    async with uow:
        if unit.kind == "county":
            try:
                check_parent(unit, await uow.units.get(unit.parent_unit or ""))
            except UnitRejected as exc:
                raise rejected(exc) from None
        changed = await uow.units.upsert(unit, at=cmd.at)
        if changed:
            uow.emit(payload, unit=unit.uscc, at=cmd.at)
        await uow.commit()
    return changed


async def _create(cmd: c.CreateResource, uow: CatalogUnitOfWork) -> Resource:
    cmd.actor.ensure_unit(cmd.provider)
    unit = await uow.units.get(cmd.provider)
    if unit is None:
        raise rejected(ResourceRejected(f"provider: {cmd.provider} is not a registered unit"))
    if cmd.resource_code:
        code = cmd.resource_code
        parsed = parse_resource_code(code)
        if not resource_code_matches_provider(code, cmd.provider):
            raise rejected(ResourceRejected(
                f"resource_code: its unit mark {parsed.unit_mark} (characters 13-21) is not cut from the "
                f"provider's code {cmd.provider} (characters 9-17: {cmd.provider[8:17]})"))
        if cmd.catalog is not None and parsed.kind != cmd.catalog:
            raise rejected(ResourceRejected(f"resource_code: {code} is a {parsed.kind} resource (类 {code[0]}), "
                                            f"not of the {cmd.catalog} catalog"))
        if cmd.item is not None and parsed.item != cmd.item:
            raise rejected(ResourceRejected(f"resource_code: its item (项) is {parsed.item}, not {cmd.item}"))
        division, serial, kind = parsed.division_code, parsed.serial, parsed.kind
        await uow.resources.lock_serials(cmd.provider, division)
        if await uow.resources.exists(code):
            raise conflict(f"resource_code: {code} is already catalogued")
    else:
        division, kind = unit.division_code, cmd.catalog or "department"
        try:
            head = prefix(kind, cmd.item)
        except ValueError as exc:
            raise rejected(ResourceRejected(f"item: {exc}")) from None
        await uow.resources.lock_serials(cmd.provider, division)
        serial = await uow.resources.next_serial(cmd.provider, division, head)
        code = build_resource_code(division, cmd.provider, serial, kind, head[1:3])
    await _check_metadata(uow, kind, cmd.metadata)
    await uow.resources.insert(code=code, provider=cmd.provider, division=division, serial=serial,
                               metadata=cmd.metadata, at=cmd.at)
    return Resource(code=code, provider=cmd.provider, status="draft", version=1, metadata=cmd.metadata)


async def _check_metadata(uow: CatalogUnitOfWork, kind: CatalogKind, metadata: Metadata) -> None:
    """The code lists' rules, and the department resources a base or theme resource gathers are catalogued."""
    try:
        check_code_lists(metadata, kind)
    except ResourceRejected as exc:
        raise rejected(exc) from None
    if kind != "department":
        for i, related in enumerate(metadata.related_codes):
            if not await uow.resources.exists(related):
                raise rejected(ResourceRejected(f"related_codes.{i}: {related} is not in the catalog"))


async def create_resource(cmd: c.CreateResource, uow: CatalogUnitOfWork) -> Resource:
    """Catalogue a draft: an imported code must be the provider's; otherwise the next serial is assigned."""
    async with uow:
        resource = await _create(cmd, uow)
        await uow.commit()
    return resource


async def change_metadata(cmd: c.ChangeMetadata, uow: CatalogUnitOfWork) -> Resource:
    """A draft or a returned resource is edited in place; a change to a published resource is submitted for
    the bureau's review (the resource stays as published until it is approved); nothing changed: nothing."""
    async with uow:
        resource = await steps.owned(uow, cmd.code, cmd.actor)
        if resource.published_at is not None and cmd.metadata.publish_date is None:
            # The publish date (§5.2(13)) is the publication's: a change that leaves it out keeps it.
            cmd = replace(cmd, metadata=cmd.metadata.model_copy(
                update={"publish_date": resource.metadata.publish_date}))
        try:
            check_change(resource.status, resource.metadata, cmd.metadata)
        except ResourceRejected as exc:
            raise Problem(409, "Conflict", str(exc), kind="name-fixed") from None
        try:
            flow.editable(resource)
        except ResourceRejected as exc:
            raise conflict(str(exc)) from None
        changed = changed_fields(resource.metadata, cmd.metadata)
        if changed:
            await _check_metadata(uow, resource.catalog_kind, cmd.metadata)
        if resource.status in ("draft", "returned"):
            await uow.resources.replace_draft(cmd.code, cmd.metadata, cmd.at)
        elif changed:
            await _submit_change(uow, cmd, resource, changed)
        after = await steps.reread(uow, cmd.code)
        await uow.commit()
    return after


async def _submit_change(uow: CatalogUnitOfWork, cmd: c.ChangeMetadata, resource: Resource,
                         changed: list[str]) -> None:
    pending = await uow.reviews.latest(cmd.code)
    if pending is not None and pending.open:
        raise conflict(f"review: a change to {cmd.code} submitted at {pending.submitted_at} awaits the bureau's "
                       "decision; submit the next one after it")
    try:
        review = flow.submit_change(steps.new_review_id(), resource, cmd.metadata, changed, cmd.at, cmd.review_days)
    except flow.ReviewRefused as exc:
        raise steps.refused(exc) from None
    await steps.submit(uow, review, resource.provider)


async def _change_owned(uow: CatalogUnitOfWork, code: str, actor: Principal, at: datetime,
                        precondition: Callable[[Resource], None],
                        write: Callable[[Resource], Awaitable[Payload | None]]) -> Resource:
    """The skeleton of a change to one resource: lock it (its owner or the bureau only), check the
    state allows it (409 otherwise), write; the event `write` returns is said, None: nothing changed."""
    async with uow:
        resource = await steps.owned(uow, code, actor)
        try:
            precondition(resource)
        except ResourceRejected as exc:
            raise conflict(str(exc)) from None
        payload = await write(resource)
        if payload is None:
            return resource
        uow.emit(payload, unit=resource.provider, at=at)
        after = await steps.reread(uow, code)
        await uow.commit()
    return after


async def mount_resource(cmd: c.MountResource, uow: CatalogUnitOfWork) -> Resource:
    """Mount a published resource; the same mount again changes nothing and says nothing."""
    async def write(resource: Resource) -> Payload | None:
        if resource.mount_kind == cmd.mount.kind and resource.mount_access == cmd.mount.access():
            return None
        await uow.resources.mount(cmd.code, cmd.mount, cmd.at)
        return ResourceMounted(resource_code=cmd.code, mount_kind=cmd.mount.kind)

    return await _change_owned(uow, cmd.code, cmd.actor, cmd.at, lambda r: r.require_published("mount it"), write)


async def unmount_resource(cmd: c.UnmountResource, uow: CatalogUnitOfWork) -> Resource:
    async def write(resource: Resource) -> Payload:
        await uow.resources.unmount(cmd.code, cmd.reason, cmd.at)
        return ResourceUnmounted(resource_code=cmd.code, reason=cmd.reason)

    return await _change_owned(uow, cmd.code, cmd.actor, cmd.at, lambda r: r.require_mounted("unmount it"), write)


async def report_update(cmd: c.ReportUpdate, uow: CatalogUnitOfWork) -> Resource:
    async def write(resource: Resource) -> Payload:
        await uow.resources.record_update(cmd.code, cmd.records, cmd.at)
        return ResourceUpdated(resource_code=cmd.code, records=cmd.records, origin="reported")

    return await _change_owned(uow, cmd.code, cmd.actor, cmd.at, lambda r: r.require_self_reported(), write)


async def assign_batch(cmd: c.AssignBatch, uow: CatalogUnitOfWork) -> list[str]:
    """Assign (or re-assign) a batch; one event per unit whose part changed. Returns those units."""
    errors = [f"units.{i}.resource_codes: {code} is not a code of unit {part.unit}"
              for i, part in enumerate(cmd.units) for code in part.resource_codes
              if not resource_code_matches_provider(code, part.unit)]
    if len({p.unit for p in cmd.units}) != len(cmd.units):
        errors.append("units: a unit appears twice")
    if errors:
        raise invalid("; ".join(errors))
    changed: list[str] = []
    async with uow:
        for part in cmd.units:
            if await uow.units.get(part.unit) is None:
                raise invalid(f"units: {part.unit} is not a registered unit")
            codes = list(dict.fromkeys(part.resource_codes))
            if await uow.resources.assign_requirement(batch_id=cmd.batch_id, unit=part.unit, kind=cmd.batch_kind,
                                                      title=cmd.title, deadline=cmd.deadline, codes=codes,
                                                      at=cmd.at):
                uow.emit(RequirementAssigned(batch_id=cmd.batch_id, batch_kind=cmd.batch_kind,
                                             resource_codes=codes, deadline=cmd.deadline), unit=part.unit, at=cmd.at)
                changed.append(part.unit)
        await uow.commit()
    return changed
