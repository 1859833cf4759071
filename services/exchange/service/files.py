"""File exchange's use case and reads: a provider uploads a version of its file resource; versions listed.

The bytes go to the content-addressed store first (written and synced under their SHA-256), then the version
row and `exchange.file-version-added` commit together: an acknowledged version always has its bytes, and an
upload that fails half-way leaves at most bytes nobody names. The catalog records each version as the
resource's update (`catalog.resource-updated`, origin delivery).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from contracts.exchange import FileVersionAdded
from hubkit.blobs import BlobStore
from hubkit.problems import invalid

from exchange.domain import files
from exchange.service import commands as c
from exchange.service.ports import ExchangeUnitOfWork, Row
from exchange.service.tables import provided
from exchange.storage import files as rows


def view(r: Row) -> dict[str, Any]:
    return {"id": r["id"], "resource_code": r["resource_code"], "version": r["version"], "sha256": r["sha256"],
            "size": r["size"], "name": r["name"], "media_type": r["media_type"], "uploaded_at": r["uploaded_at"]}


async def add_version(cmd: c.UploadFile, uow: ExchangeUnitOfWork, store: BlobStore) -> tuple[dict[str, Any], bool]:
    """(the version, whether it is new): the same bytes as the latest version make no new one."""
    try:
        upload = files.checked(cmd.content, cmd.sha256, cmd.name, cmd.media_type)
    except files.FileRefused as refused:
        raise invalid(str(refused)) from None
    async with uow:
        provided(await uow.rows.resource(cmd.resource_code), cmd.actor, cmd.resource_code, "file")
    await store.put(cmd.content)  # before the version row: an acknowledged version has its bytes
    async with uow:
        latest = await uow.files.latest(cmd.resource_code, lock=True)
        if latest is not None and latest["sha256"] == upload.sha256:
            return view(latest), False
        number = 1 if latest is None else latest["version"] + 1
        file_id = f"fv-{uuid.uuid4().hex[:20]}"
        provider = cmd.actor.unit or ""
        await uow.files.insert(file_id=file_id, code=cmd.resource_code, version=number, sha256=upload.sha256,
                               size=upload.size, name=upload.name, media_type=upload.media_type, provider=provider,
                               at=cmd.at)
        uow.emit(FileVersionAdded(file_id=file_id, resource_code=cmd.resource_code, version=number,
                                  sha256=upload.sha256, size=upload.size, name=upload.name), unit=provider, at=cmd.at)
        await uow.commit()
    return {"id": file_id, "resource_code": cmd.resource_code, "version": number, "sha256": upload.sha256,
            "size": upload.size, "name": upload.name, "media_type": upload.media_type, "uploaded_at": cmd.at}, True


# Reads (the HTTP layer reaches storage only through the service layer).

async def versions(pool: asyncpg.Pool, code: str, limit: int) -> list[Row]:
    async with pool.acquire() as conn:
        return await rows.versions(conn, code, limit)


async def version(pool: asyncpg.Pool, code: str, number: int | None) -> Row | None:
    async with pool.acquire() as conn:
        return await rows.version(conn, code, number)
