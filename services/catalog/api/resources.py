"""The data-resource catalog: catalogue, publish, change, mount, report updates, search, read as of."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from contracts import new_envelope
from contracts.catalog import (
    ResourceMetadataChanged,
    ResourceMounted,
    ResourcePublished,
    ResourceUnmounted,
    ResourceUpdated,
    ShareType,
    UpdateCycle,
)
from contracts.resource_codes import build_resource_code, parse_resource_code, resource_code_matches_provider
from contracts.values import ResourceCode, Uscc
from contracts.workdays import SHANGHAI
from fastapi import APIRouter, Query, Request
from hubkit import deps, outbox
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.problems import Problem, conflict, not_found
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from catalog.api.common import reason, rejected, write_instant
from catalog.domain.csv_rows import check_header, parse_row
from catalog.domain.freshness import freshness
from catalog.domain.resources import Metadata, Mount, Resource, ResourceRejected, changed_fields, check_change
from catalog.storage import resources as repo
from catalog.storage import units as units_repo

router = APIRouter(prefix="/resources", tags=["resources"])
SCHEMA = "catalog"


class ResourceCreate(BaseModel):
    provider: Uscc = Field(description="统一社会信用代码 of the providing unit (a department: its own)")
    metadata: Metadata
    resource_code: ResourceCode | None = Field(
        None, description="an existing code to import; omitted: the next serial of the unit and division")
    occurred_at: AwareDatetime | None = Field(None, description="bureau only: record at a past instant")


class ResourceChange(BaseModel):
    metadata: Metadata
    occurred_at: AwareDatetime | None = None


class PublishBody(BaseModel):
    occurred_at: AwareDatetime | None = None


class MountBody(Mount):
    occurred_at: AwareDatetime | None = None


class UnmountBody(BaseModel):
    reason: str | None = Field(None, max_length=500)
    occurred_at: AwareDatetime | None = None


class UpdateBody(BaseModel):
    records: int | None = Field(None, ge=0, description="records in the update, if known")
    occurred_at: AwareDatetime | None = None


class ResourcePublic(BaseModel):
    code: str
    provider: str
    status: str
    version: int
    metadata: dict[str, Any]
    published_at: datetime | None
    mount_kind: str | None
    mount_access: dict[str, Any] | None
    mounted_at: datetime | None
    last_update_at: datetime | None
    stale_at: datetime | None
    stale: bool | None

    @classmethod
    def of(cls, r: Resource, now: datetime, viewer: Principal) -> ResourcePublic:
        """Where the data sits (API URL, system and table, file URL) is shown to its provider, the bureau
        and auditors only: others see that it is mounted and how, and reach it through the exchange (a
        direct connection around it is what A5.3 forbids)."""
        fresh = freshness(r.last_update_at, r.metadata.update_cycle, now) if r.last_update_at else None
        access = r.mount_access if sees_access(viewer, r.provider) else None
        return cls(code=r.code, provider=r.provider, status=r.status, version=r.version,
                   metadata=r.metadata.model_dump(mode="json"), published_at=r.published_at,
                   mount_kind=r.mount_kind, mount_access=access, mounted_at=r.mounted_at,
                   last_update_at=r.last_update_at, stale_at=fresh.stale_at if fresh else None,
                   stale=fresh.stale if fresh else None)


def sees_access(viewer: Principal, provider: str) -> bool:
    return viewer.role in (Role.operator, Role.auditor) or (viewer.role is Role.department and viewer.unit == provider)


async def _owned(conn: asyncpg.Connection, code: str, principal: Principal) -> Resource:
    resource = await repo.get(conn, code, for_update=True)
    if resource is None:
        raise not_found("resource", code)
    principal.require(Role.department, Role.operator)
    principal.ensure_unit(resource.provider)
    return resource


def _metadata_fields(r: Resource, provider_name: str | None) -> dict[str, Any]:
    m = r.metadata
    return dict(resource_code=r.code, name=m.name, share_type=m.share_type, update_cycle=m.update_cycle,
                classification=m.classification, summary=m.summary, format=m.format, domain=m.domain,
                provider_name=provider_name, items=list(m.items) or None, share_condition=m.share_condition,
                share_method=m.share_method, share_basis=m.share_basis, open_type=m.open_type,
                open_condition=m.open_condition, publish_date=m.publish_date,
                related_codes=list(m.related_codes) or None)


async def create_resource(conn: asyncpg.Connection, body: ResourceCreate, principal: Principal,
                          at: datetime) -> Resource:
    """Catalogue a draft: an imported code must be the provider's; otherwise the next serial is assigned."""
    principal.require(Role.department, Role.operator)
    principal.ensure_unit(body.provider)
    unit = await units_repo.get(conn, body.provider)
    if unit is None:
        raise ResourceRejected(f"provider: {body.provider} is not a registered unit")
    if body.resource_code:
        if not resource_code_matches_provider(body.resource_code, body.provider):
            mark = parse_resource_code(body.resource_code).unit_mark
            raise ResourceRejected(
                f"resource_code: its unit mark {mark} (characters 13-21) is not cut from the provider's code "
                f"{body.provider} (characters 9-17: {body.provider[8:17]})")
        code, division = body.resource_code, parse_resource_code(body.resource_code).division_code
        await repo.lock_serials(conn, body.provider, division)
        if await repo.exists(conn, code):
            raise Problem(409, "Conflict", f"resource_code: {code} is already catalogued", kind="conflict")
        serial = parse_resource_code(code).serial
    else:
        division = unit.division_code
        await repo.lock_serials(conn, body.provider, division)
        serial = await repo.next_serial(conn, body.provider, division)
        code = build_resource_code(division, body.provider, serial)
    await repo.insert(conn, code=code, provider=body.provider, division=division, serial=serial,
                      metadata=body.metadata, at=at)
    return Resource(code=code, provider=body.provider, status="draft", version=1, metadata=body.metadata)


async def publish_resource(conn: asyncpg.Connection, resource: Resource, at: datetime) -> None:
    metadata = resource.metadata
    if metadata.publish_date is None:
        metadata = metadata.model_copy(update={"publish_date": at.astimezone(SHANGHAI).date()})
    await repo.publish(conn, resource.code, metadata, at)
    unit = await units_repo.get(conn, resource.provider)
    payload = ResourcePublished(**_metadata_fields(resource.model_copy(update={"metadata": metadata}),
                                                   unit.name if unit else None))
    await outbox.add(conn, SCHEMA, new_envelope(payload, unit=resource.provider, occurred_at=at))


@router.post("", status_code=201, summary="Catalogue a resource (a draft until published)")
async def create(body: ResourceCreate, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at)
    try:
        async with deps.pool(request).acquire() as conn, conn.transaction():
            resource = await create_resource(conn, body, principal, at)
    except ResourceRejected as exc:
        raise rejected(exc) from None
    return ResourcePublic.of(resource, deps.now(request), principal)


@router.put("/{code}/metadata", summary="Change metadata (a published resource gets a new version and an event)")
async def change(code: str, body: ResourceChange, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        resource = await _owned(conn, code, principal)
        try:
            check_change(resource.status, resource.metadata, body.metadata)
        except ResourceRejected as exc:
            raise Problem(409, "Conflict", str(exc), kind="name-fixed") from None
        changed = changed_fields(resource.metadata, body.metadata)
        if resource.status == "draft":
            await repo.replace_draft(conn, code, body.metadata, at)
        elif changed:
            await repo.add_version(conn, code, resource.version + 1, body.metadata, changed, at)
            updated = resource.model_copy(update={"metadata": body.metadata, "version": resource.version + 1})
            unit = await units_repo.get(conn, resource.provider)
            payload = ResourceMetadataChanged(**_metadata_fields(updated, unit.name if unit else None))
            await outbox.add(conn, SCHEMA, new_envelope(payload, unit=resource.provider, occurred_at=at))
        after = await repo.get(conn, code)
    assert after is not None
    return ResourcePublic.of(after, deps.now(request), principal)


@router.post("/{code}/publish", summary="Publish a draft (emits catalog.resource-published; the name is fixed)")
async def publish(code: str, request: Request, principal: CurrentPrincipal,
                  body: PublishBody | None = None) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at if body else None)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        resource = await _owned(conn, code, principal)
        if resource.status == "published":
            raise conflict(f"status: {code} was published at {resource.published_at}")
        await publish_resource(conn, resource, at)
        after = await repo.get(conn, code)
    assert after is not None
    return ResourcePublic.of(after, deps.now(request), principal)


@router.put("/{code}/mount", summary="Mount the data as a table, file or API (emits catalog.resource-mounted)")
async def mount(code: str, body: MountBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at)
    spec = Mount.model_validate(body.model_dump(exclude={"occurred_at"}))
    async with deps.pool(request).acquire() as conn, conn.transaction():
        resource = await _owned(conn, code, principal)
        try:
            resource.require_published("mount it")
        except ResourceRejected as exc:
            raise conflict(str(exc)) from None
        if resource.mount_kind == spec.kind and resource.mount_access == spec.access():
            return ResourcePublic.of(resource, deps.now(request), principal)  # the same mount again: nothing happened
        await repo.mount(conn, code, spec, at)
        payload = ResourceMounted(resource_code=code, mount_kind=spec.kind)
        await outbox.add(conn, SCHEMA, new_envelope(payload, unit=resource.provider, occurred_at=at))
        after = await repo.get(conn, code)
    assert after is not None
    return ResourcePublic.of(after, deps.now(request), principal)


@router.post("/{code}/unmount", summary="Take the data off the exchange (emits catalog.resource-unmounted)")
async def unmount(code: str, body: UnmountBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        resource = await _owned(conn, code, principal)
        try:
            resource.require_mounted("unmount it")
        except ResourceRejected as exc:
            raise conflict(str(exc)) from None
        await repo.unmount(conn, code, body.reason, at)
        payload = ResourceUnmounted(resource_code=code, reason=body.reason)
        await outbox.add(conn, SCHEMA, new_envelope(payload, unit=resource.provider, occurred_at=at))
        after = await repo.get(conn, code)
    assert after is not None
    return ResourcePublic.of(after, deps.now(request), principal)


@router.post("/{code}/updates", status_code=201, summary="Report a refresh of the data (catalog.resource-updated)")
async def report_update(code: str, body: UpdateBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    at = write_instant(request, principal, body.occurred_at)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        resource = await _owned(conn, code, principal)
        try:
            resource.require_mounted("report updates")
        except ResourceRejected as exc:
            raise conflict(str(exc)) from None
        await repo.record_update(conn, code, body.records, at)
        payload = ResourceUpdated(resource_code=code, records=body.records)
        await outbox.add(conn, SCHEMA, new_envelope(payload, unit=resource.provider, occurred_at=at))
        after = await repo.get(conn, code)
    assert after is not None
    return ResourcePublic.of(after, deps.now(request), principal)


@router.get("", summary="Search the published catalog (and, for a department, its own drafts)")
async def search(
    request: Request, principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(description="provider USCC")] = None,
    domain: Annotated[str | None, Query(description="所属领域, exact")] = None,
    share_type: ShareType | None = None,
    update_cycle: UpdateCycle | None = None,
    mounted: bool | None = None,
    q: Annotated[str | None, Query(description="text in code, name, summary, domain, items")] = None,
    as_of: Annotated[AwareDatetime | None, Query(description="read the published catalog as it was then")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ResourcePublic]:
    drafts_of = principal.unit if principal.role is Role.department else None
    async with deps.pool(request).acquire() as conn:
        found = await repo.search(conn, unit=unit, domain=domain, share_type=share_type, update_cycle=update_cycle,
                                  q=q, mounted=mounted, include_drafts_of=drafts_of, as_of=as_of, limit=limit,
                                  offset=offset)
    now = as_of or deps.now(request)
    return [ResourcePublic.of(r, now, principal) for r in found]


@router.get("/{code}", summary="One resource, now or as of a past instant")
async def read(code: str, request: Request, principal: CurrentPrincipal,
               as_of: Annotated[AwareDatetime | None, Query()] = None) -> ResourcePublic:
    async with deps.pool(request).acquire() as conn:
        resource = await (repo.get_as_of(conn, code, as_of) if as_of else repo.get(conn, code))
    if resource is None or (resource.status == "draft" and principal.role is Role.department
                            and principal.unit != resource.provider):
        raise not_found("resource", code if as_of is None else f"{code} as of {as_of.isoformat()}")
    return ResourcePublic.of(resource, as_of or deps.now(request), principal)


@router.get("/{code}/versions", summary="Every metadata version with the instant it took effect")
async def versions(code: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    async with deps.pool(request).acquire() as conn:
        resource = await repo.get(conn, code)
        # A draft's versions are its provider's (and the bureau's) only, as the draft itself is.
        if resource is None or (resource.status == "draft" and principal.role is Role.department
                                and principal.unit != resource.provider):
            raise not_found("resource", code)
        return {"code": code, "versions": await repo.versions(conn, code), "history": await repo.history(conn, code)}


class ImportError_(BaseModel):
    row: int = Field(description="1-based data row of the upload")
    line: int = Field(description="line of the upload the row starts on")
    reason: str


class ImportReport(BaseModel):
    imported: list[str] = Field(description="codes of the catalogued rows, in file order")
    published: int
    errors: list[ImportError_] = Field(description="each rejected row with its line number and reason")


def _readable_rows(reader: csv.DictReader[str], report: ImportReport) -> Iterator[dict[str, str | None]]:
    """The rows the CSV reader can read; where it cannot go on (malformed quoting), the rest of the file is
    one error naming the line, and what was read before stays imported."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.errors.append(ImportError_(row=len(report.imported) + len(report.errors) + 1, line=reader.line_num,
                                              reason=f"the file cannot be read from here on: {exc}"))
            return
        yield row


@router.post("/import", summary="Bulk-catalogue from CSV: good rows are imported, each bad row reported",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def bulk_import(request: Request, principal: CurrentPrincipal) -> ImportReport:
    principal.require(Role.department, Role.operator)
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise rejected(ValueError(f"body: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")) from None
    # A cell may be as long as the body (bounded by the request limit); a too-long value is then a
    # row error from validation, not a csv.Error that would stop the whole file.
    csv.field_size_limit(max(len(text), 131_072))
    reader = csv.DictReader(io.StringIO(text, newline=""))  # newline="": line ends inside quoted cells are data
    try:
        check_header(list(reader.fieldnames or []))
    except ResourceRejected as exc:
        raise rejected(exc) from None
    except csv.Error as exc:
        raise rejected(ValueError(f"line 1: not a readable CSV header ({exc})")) from None
    at = write_instant(request, principal, None)
    report = ImportReport(imported=[], published=0, errors=[])
    async with deps.pool(request).acquire() as conn:
        ended = reader.line_num
        for index, row in enumerate(_readable_rows(reader, report), start=1):
            line, ended = ended + 1, reader.line_num
            try:
                provider, code, metadata, publish_now = parse_row(row)
                body = ResourceCreate(provider=provider, resource_code=code, metadata=metadata)
                async with conn.transaction():
                    resource = await create_resource(conn, body, principal, at)
                    if publish_now:
                        await publish_resource(conn, resource, at)
            except (ResourceRejected, ValidationError) as exc:
                report.errors.append(ImportError_(row=index, line=line, reason=reason(exc)))
            except Problem as exc:
                report.errors.append(ImportError_(row=index, line=line, reason=exc.detail))
            else:
                report.imported.append(resource.code)
                report.published += publish_now
    return report
