"""File exchange without servers: a version's bytes checked against the SHA-256 its uploader states, stored
before the version is recorded, the same bytes twice one version, only the provider of a file resource."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from exchange.domain import files
from exchange.service import commands as c
from exchange.service import files as use_case
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeBlobStore, FakeExchangeUnitOfWork

PROVIDER, OTHER = make_uscc("450000", "PR000001"), make_uscc("450000", "XT000001")
FILE, TABLE = build_resource_code("450000", PROVIDER, 4), build_resource_code("450000", PROVIDER, 3)
AT = datetime(2019, 8, 5, 10, 0, tzinfo=SHANGHAI)
CONTENT = "统一社会信用代码,名称\n91450100MA5K000001,甲公司\n".encode()
SHA = hashlib.sha256(CONTENT).hexdigest()


def dept(unit: str) -> Principal:
    return Principal(f"department:{unit}", Role.department, unit=unit)


def hub() -> FakeExchangeUnitOfWork:
    uow = FakeExchangeUnitOfWork()
    uow.rows.resources[FILE] = {"code": FILE, "provider": PROVIDER, "mount_kind": "file", "items": []}
    uow.rows.resources[TABLE] = {"code": TABLE, "provider": PROVIDER, "mount_kind": "table", "items": []}
    return uow


def upload(content: bytes = CONTENT, sha: str | None = SHA, name: str = "企业名录.csv", who: str = PROVIDER,
           code: str = FILE) -> c.UploadFile:
    return c.UploadFile(actor=dept(who), resource_code=code, content=content, sha256=sha, name=name,
                        media_type="text/csv; charset=utf-8", at=AT)


@pytest.mark.parametrize(("content", "sha", "name", "reason"), [
    (CONTENT, None, "a.csv", "state the file's SHA-256"),
    (CONTENT, "xyz", "a.csv", "state the file's SHA-256"),
    (CONTENT[:-5], SHA, "a.csv", "damaged or cut short"),
    (b"", hashlib.sha256(b"").hexdigest(), "a.csv", "empty"),
    (CONTENT, SHA, "../etc/passwd", "plain file name"),
    (CONTENT, SHA, "a\x00.csv", "plain file name"),
    (CONTENT, SHA, "x" * 201, "plain file name"),
])
def test_an_upload_is_refused_with_its_reason(content: bytes, sha: str | None, name: str, reason: str) -> None:
    with pytest.raises(files.FileRefused, match=reason):
        files.checked(content, sha, name, "text/csv")


async def test_versions_are_numbered_the_same_bytes_twice_is_one_version_and_each_is_said() -> None:
    uow, store = hub(), FakeBlobStore()
    first, new = await use_case.add_version(upload(sha=SHA.upper()), uow, store)
    assert new and (first["version"], first["sha256"], first["size"], first["media_type"]) == (
        1, SHA, len(CONTENT), "text/csv")
    assert store.blobs[SHA] == CONTENT
    again, new = await use_case.add_version(upload(), uow, store)
    assert not new and again["id"] == first["id"]
    changed = CONTENT + "91450100MA5K000002,乙公司\n".encode()
    second, new = await use_case.add_version(upload(changed, hashlib.sha256(changed).hexdigest()), uow, store)
    assert new and second["version"] == 2
    said = [e for e in uow.committed_events if e.type == "exchange.file-version-added"]
    assert [(e.unit, e.data.version, e.data.file_id) for e in said] == [(PROVIDER, 1, first["id"]),
                                                                         (PROVIDER, 2, second["id"])]


@pytest.mark.parametrize(("cmd", "status"), [
    (upload(who=OTHER), 403), (upload(code=TABLE), 409),
    (upload(code=build_resource_code("450000", PROVIDER, 9)), 404), (upload(sha="0" * 64), 422)])
async def test_refusals_store_and_say_nothing(cmd: c.UploadFile, status: int) -> None:
    uow, store = hub(), FakeBlobStore()
    with pytest.raises(Problem) as refused:
        await use_case.add_version(cmd, uow, store)
    assert refused.value.status == status
    assert not store.blobs and not uow.files.versions and not uow.committed_events
