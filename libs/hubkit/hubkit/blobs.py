"""Content-addressed file store: a file's name is the sha256 of its bytes, so the same file pushed
twice is stored once and a stored file cannot change under its name.

`LocalBlobStore` (default) writes `<dir>/ab/cd/<sha256>` atomically (temp file, fsync, rename).
`S3BlobStore` keeps the same names as keys in an S3-compatible bucket (MinIO, Ceph, AWS); it needs
boto3, which is not a dependency of the hub, and runs its blocking calls in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse


class BlobStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Store the bytes (a no-op if already there); return their sha256."""
        ...

    async def get(self, sha256: str) -> bytes | None:
        ...


def _check(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


class LocalBlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        s = _check(sha256)
        return self.root / s[:2] / s[2:4] / s

    def _put(self, data: bytes, sha: str) -> None:
        target = self.path(sha)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._put, data, sha)
        return sha

    async def get(self, sha256: str) -> bytes | None:
        path = self.path(sha256)
        return await asyncio.to_thread(path.read_bytes) if path.exists() else None


class S3BlobStore:
    def __init__(self, url: str) -> None:
        """url: s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1"""
        try:
            import boto3  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise RuntimeError("HUB_BLOB_URL=s3://… needs boto3 (pip install boto3)") from exc
        parsed = urlparse(url)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=query.get("endpoint"),
                                        region_name=query.get("region", "us-east-1"))

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{_check(sha256)}" if self.prefix else _check(sha256)

    async def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self.key(sha), Body=data)
        return sha

    async def get(self, sha256: str) -> bytes | None:
        def fetch() -> bytes | None:
            try:
                body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
            except self.client.exceptions.NoSuchKey:
                return None
            return body

        return await asyncio.to_thread(fetch)


def open_store(blob_dir: str, blob_url: str | None) -> BlobStore:
    return S3BlobStore(blob_url) if blob_url else LocalBlobStore(blob_dir)
