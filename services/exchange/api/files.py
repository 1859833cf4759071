"""File exchange (文件交换): providers upload versions of their file resources, subscribers list and download
them through the hub (each download recorded like a gateway call)."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any
from urllib.parse import quote

from contracts.values import ResourceCode
from fastapi import APIRouter, Header, Path, Query, Request, Response
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Role
from hubkit.blobs import BlobStore
from hubkit.deps import pool
from hubkit.problems import Problem, not_found

from exchange.api import deliveries
from exchange.api.common import local_iso, uow
from exchange.service import admission, queries
from exchange.service import commands as c
from exchange.service import files as use_case
from exchange.settings import exchange_settings

router = APIRouter(tags=["files"])
_UPLOAD = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}}


def _store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.files
    return store


def _view(v: Any) -> dict[str, Any]:
    return use_case.view(v) | {"uploaded_at": local_iso(v["uploaded_at"])}


@router.post("/files/{code}/versions", openapi_extra=_UPLOAD,
             summary="The provider uploads a version of its file resource (its SHA-256 stated and checked)",
             responses={200: {"description": "the same bytes as the latest version: no new version"},
                        201: {"description": "a new version"}, 413: {"description": "over the size limit"},
                        422: {"description": "no or a wrong SHA-256 (a damaged upload), an empty file or a bad name: "
                                             "nothing stored"}})
async def upload(code: ResourceCode, request: Request, response: Response, principal: CurrentPrincipal,
                 name: Annotated[str, Query(min_length=1, max_length=200, description="the file's name")],
                 sha256: Annotated[str | None, Header(alias="X-Content-SHA256")] = None,
                 content_type: Annotated[str, Header()] = "application/octet-stream") -> dict[str, Any]:
    """The bytes are stored under their SHA-256 before the version is recorded; each new version is
    `exchange.file-version-added`, which the catalog records as the resource's update."""
    limit = exchange_settings(request.app.state.host.settings).file_max_bytes
    content = await deliveries.read_body(request, limit, "file")
    cmd = c.UploadFile(actor=principal, resource_code=code, content=content, sha256=sha256, name=name,
                       media_type=content_type, at=deps.now(request))
    version, new = await use_case.add_version(cmd, uow(request), _store(request))
    response.status_code = 201 if new else 200
    return _view(version)


@router.get("/files/{code}/versions", summary="A file resource's versions, newest first (provider, bureau, "
                                              "subscribers)")
async def versions(code: ResourceCode, request: Request, principal: CurrentPrincipal,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """A subscriber needs a usable subscription (a look at the list is no call: no quota is taken)."""
    if principal.role is Role.department:
        res = await queries.resource(pool(request), code)
        if res is None:
            raise not_found("published resource", code)
        if res["provider"] != principal.unit:
            await admission.admit(pool(request), admission.Caller(principal.unit or ""), code, deps.now(request),
                                  take_quota=False)
    return {"versions": [_view(v) for v in await use_case.versions(pool(request), code, limit)]}


@router.get("/files/{code}/versions/{version}/content",
            summary="A subscriber downloads a version (or `latest`) through the hub (needs a usable subscription)",
            responses={200: {"content": {"application/octet-stream": {}}}, 403: {"description": "no usable "
                                                                                                "subscription"},
                       429: {"description": "over the quota"}})
async def download(code: ResourceCode, version: Annotated[str, Path(pattern=r"^(latest|[1-9][0-9]{0,8})$")],
                   request: Request,
                   key: Annotated[str | None, Header(alias=admission.KEY_HEADER)] = None) -> Response:
    """The bytes with `ETag` (their SHA-256) and `Digest`; recorded in the call log (channel file) and counted
    against the subscription's quota."""
    who = await admission.caller(pool(request), request.scope.get("state", {}).get("principal"), key)
    started, clock = deps.now(request), time.perf_counter()
    admitted = await deliveries.admit(request, who, code, started, "file")
    found = await use_case.version(pool(request), code, None if version == "latest" else int(version))
    if found is None:
        raise not_found("file version", f"{code}/{version}")
    content = await _store(request).get(found["sha256"])
    if content is None:  # the store lost what a version names: the operators must know, the caller gets a 503
        raise Problem(503, "Service unavailable", f"the bytes of {code} version {found['version']} are missing "
                      "from the file store", kind="file-missing")
    duration = (time.perf_counter() - clock) * 1000
    call_id = await deliveries.record(request, who, admitted.route["provider"], code, started, duration, 200,
                                      len(content), "file")
    digest = base64.b64encode(bytes.fromhex(found["sha256"])).decode()
    return Response(content, media_type=found["media_type"], headers={
        "ETag": f'"{found["sha256"]}"', "Digest": f"sha-256={digest}", "X-Hub-Call-Id": call_id,
        "X-Hub-File-Version": str(found["version"]),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found['name'])}"})

