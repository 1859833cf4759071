"""The data-resource catalog: catalogue, change, mount, report updates, search, read as of (submission and
publication: api/reviews.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from contracts.catalog import ShareType, UpdateCycle
from contracts.code_lists import CatalogKind
from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.problems import not_found
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import settings_of, uow, write_instant
from catalog.domain.freshness import freshness
from catalog.domain.resources import Metadata, Mount, Resource
from catalog.service import commands as c
from catalog.service import handlers, queries
from catalog.service.errors import rejected
from catalog.service.imports import ImportReport, import_csv

router = APIRouter(prefix="/resources", tags=["resources"])


class ResourceCreate(BaseModel):
    provider: Uscc = Field(description="统一社会信用代码 of the providing unit (a department: its own)")
    metadata: Metadata
    resource_code: ResourceCode | None = Field(
        None, description="an existing code to import; omitted: the next serial of the unit, division and catalog")
    catalog: CatalogKind | None = Field(None, description=(
        "基础 (base, 类 1), 主题 (theme, 类 2) or 部门 (department, 类 3) catalog (seed 003 §5.3.1); omitted: the "
        "imported code's, or department"))
    item: str | None = Field(None, min_length=2, max_length=2, description=(
        "a base or theme resource's item (项) from the code lists (GET /code-lists), e.g. 01 人口"))
    occurred_at: AwareDatetime | None = Field(None, description="bureau only: record at a past instant")


class ResourceChange(BaseModel):
    metadata: Metadata
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
    catalog: CatalogKind = Field(description="base, theme or department (the code's 类)")
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
        return cls(code=r.code, catalog=r.catalog_kind, provider=r.provider, status=r.status, version=r.version,
                   metadata=r.metadata.model_dump(mode="json"), published_at=r.published_at,
                   mount_kind=r.mount_kind, mount_access=access, mounted_at=r.mounted_at,
                   last_update_at=r.last_update_at, stale_at=fresh.stale_at if fresh else None,
                   stale=fresh.stale if fresh else None)


def sees_access(viewer: Principal, provider: str) -> bool:
    return viewer.role in (Role.operator, Role.auditor) or (viewer.role is Role.department and viewer.unit == provider)


def _department(principal: Principal) -> str | None:
    """The viewer's unit when a department reads (it sees others' published, not secret, resources only)."""
    return principal.unit if principal.role is Role.department else None


def _of(request: Request, principal: Principal, resource: Resource) -> ResourcePublic:
    return ResourcePublic.of(resource, deps.now(request), principal)


@router.post("", status_code=201, summary="Catalogue a resource (a draft until published)")
async def create(body: ResourceCreate, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    cmd = c.CreateResource(actor=principal, provider=body.provider, metadata=body.metadata,
                           resource_code=body.resource_code, catalog=body.catalog, item=body.item,
                           at=write_instant(request, principal, body.occurred_at))
    return _of(request, principal, await handlers.create_resource(cmd, uow(request)))


@router.put("/{code}/metadata", summary=(
    "Change metadata: a draft's or a returned resource's in place; a published resource's is submitted for "
    "review (a new version and an event when the bureau approves it)"))
async def change(code: str, body: ResourceChange, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    cmd = c.ChangeMetadata(actor=principal, code=code, metadata=body.metadata,
                           review_days=settings_of(request).review_days,
                           at=write_instant(request, principal, body.occurred_at))
    return _of(request, principal, await handlers.change_metadata(cmd, uow(request)))


@router.put("/{code}/mount", summary="Mount the data as a table, file or API (emits catalog.resource-mounted)")
async def mount(code: str, body: MountBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    cmd = c.MountResource(actor=principal, code=code, mount=Mount.model_validate(body.model_dump(
        exclude={"occurred_at"})), at=write_instant(request, principal, body.occurred_at))
    return _of(request, principal, await handlers.mount_resource(cmd, uow(request)))


@router.post("/{code}/unmount", summary="Take the data off the exchange (emits catalog.resource-unmounted)")
async def unmount(code: str, body: UnmountBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    cmd = c.UnmountResource(actor=principal, code=code, reason=body.reason,
                            at=write_instant(request, principal, body.occurred_at))
    return _of(request, principal, await handlers.unmount_resource(cmd, uow(request)))


@router.post("/{code}/updates", status_code=201, summary="Report a refresh of the data (catalog.resource-updated)")
async def report_update(code: str, body: UpdateBody, request: Request, principal: CurrentPrincipal) -> ResourcePublic:
    cmd = c.ReportUpdate(actor=principal, code=code, records=body.records,
                         at=write_instant(request, principal, body.occurred_at))
    return _of(request, principal, await handlers.report_update(cmd, uow(request)))


@router.get("", summary="Search the published catalog (and, for a department, its own drafts)")
async def search(
    request: Request, principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(description="provider USCC")] = None,
    catalog: Annotated[CatalogKind | None, Query(description="base, theme or department")] = None,
    domain: Annotated[str | None, Query(description="所属领域, exact")] = None,
    share_type: ShareType | None = None,
    update_cycle: UpdateCycle | None = None,
    mounted: bool | None = None,
    q: Annotated[str | None, Query(description="text in code, name, summary, domain, items")] = None,
    as_of: Annotated[AwareDatetime | None, Query(description="read the published catalog as it was then")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ResourcePublic]:
    viewer = _department(principal)
    found = await queries.resources(deps.pool(request), unit=unit, catalog=catalog, domain=domain,
                                    share_type=share_type,
                                    update_cycle=update_cycle, q=q, mounted=mounted, include_drafts_of=viewer,
                                    as_of=as_of, limit=limit, offset=offset, viewer=viewer)
    now = as_of or deps.now(request)
    return [ResourcePublic.of(r, now, principal) for r in found]


@router.get("/{code}", summary="One resource, now or as of a past instant")
async def read(code: str, request: Request, principal: CurrentPrincipal,
               as_of: Annotated[AwareDatetime | None, Query()] = None) -> ResourcePublic:
    resource = await queries.resource(deps.pool(request), code, as_of)
    if resource is None or resource.hidden_from(_department(principal)):
        raise not_found("resource", code if as_of is None else f"{code} as of {as_of.isoformat()}")
    return ResourcePublic.of(resource, as_of or deps.now(request), principal)


@router.get("/{code}/feeds", summary=(
    "What feeds what: the department resources a base or theme resource gathers, the base and theme resources "
    "that gather a department resource, and other units' resources confirmed as the same data"))
async def feeds(code: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    resource = await queries.resource(deps.pool(request), code)
    viewer = _department(principal)
    if resource is None or resource.hidden_from(viewer):
        raise not_found("resource", code)
    gathers, gathered_by, same = await queries.feeds(deps.pool(request), resource, viewer)
    return {"code": code, "catalog": resource.catalog_kind, "gathers": gathers, "gathered_by": gathered_by,
            "same_data": same}


@router.get("/{code}/usage", summary="Its use: units subscribed now and how consumers rated it (the exchange's events)")
async def usage(code: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    resource = await queries.resource(deps.pool(request), code)
    if resource is None or resource.hidden_from(_department(principal)):
        raise not_found("resource", code)
    found = await queries.usage(deps.pool(request), code)
    return {"code": code, **{k: v for k, v in found.items() if k != "comments"}}


@router.get("/{code}/versions", summary="Every metadata version with the instant it took effect")
async def versions(code: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    resource = await queries.resource(deps.pool(request), code)
    # A draft's or a secret resource's versions are its provider's (and the bureau's) only, as it is.
    if resource is None or resource.hidden_from(_department(principal)):
        raise not_found("resource", code)
    found, history = await queries.versions(deps.pool(request), code)
    return {"code": code, "versions": found, "history": history}


@router.post("/import", summary="Bulk-catalogue from CSV: good rows are imported, each bad row reported",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def bulk_import(request: Request, principal: CurrentPrincipal) -> ImportReport:
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise rejected(ValueError(f"body: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8")) from None
    cmd = c.ImportCsv(actor=principal, text=text, at=write_instant(request, principal, None),
                      review_days=settings_of(request).review_days)
    return await import_csv(cmd, uow(request))
