"""The bureau's reviews of the catalog, one row per submission, and the review state of resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson
from contracts.catalog import ReviewReason
from hubkit.db import json_value

from catalog.domain.resources import Metadata
from catalog.domain.reviews import Review


def _review(row: asyncpg.Record) -> Review:
    return Review(
        id=row["id"], code=row["code"], subject=row["subject"],
        metadata=Metadata.model_validate(json_value(row["metadata"])), changed=tuple(row["changed"]),
        submitted_at=row["submitted_at"], due=row["due"], decision=row["decision"], decided_at=row["decided_at"],
        reasons=tuple(ReviewReason.model_validate(r) for r in json_value(row["reasons"])),
        notice_until=row["notice_until"], overdue_at=row["overdue_at"])


class ReviewRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, r: Review) -> None:
        await self.conn.execute(
            "INSERT INTO reviews (id, code, subject, metadata, changed, submitted_at, due) "
            "VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7)",
            r.id, r.code, r.subject, r.metadata.model_dump_json(), list(r.changed), r.submitted_at, r.due)

    async def save(self, r: Review) -> None:
        """Record a decision or the overdue flag (the submission itself never changes)."""
        reasons = orjson.dumps([x.model_dump() for x in r.reasons]).decode()
        await self.conn.execute(
            "UPDATE reviews SET decision = $2, decided_at = $3, reasons = $4::text::jsonb, notice_until = $5, "
            "overdue_at = $6 WHERE id = $1", r.id, r.decision, r.decided_at, reasons, r.notice_until, r.overdue_at)

    async def latest(self, code: str) -> Review | None:
        """The resource's last submission (undecided, or the decision that stands)."""
        row = await self.conn.fetchrow(
            "SELECT * FROM reviews WHERE code = $1 ORDER BY seq DESC LIMIT 1", code)
        return _review(row) if row else None

    async def of(self, code: str) -> list[Review]:
        rows = await self.conn.fetch("SELECT * FROM reviews WHERE code = $1 ORDER BY seq", code)
        return [_review(r) for r in rows]

    async def due_overdue(self, now: datetime) -> list[Review]:
        rows = await self.conn.fetch(
            "SELECT * FROM reviews WHERE decision IS NULL AND overdue_at IS NULL AND due <= $1 "
            "ORDER BY due, id FOR UPDATE SKIP LOCKED", now)
        return [_review(r) for r in rows]

    async def notices_ended(self, now: datetime) -> list[Review]:
        """Approved publications whose notice ended and whose resource is still in notice (locked, so two
        replicas never publish the same resource twice)."""
        rows = await self.conn.fetch(
            "SELECT v.* FROM reviews v JOIN resources r ON r.code = v.code WHERE r.status = 'in_notice' "
            "AND v.decision = 'approved' AND v.notice_until <= $1 ORDER BY v.notice_until, v.id "
            "FOR UPDATE OF r SKIP LOCKED", now)
        return [_review(r) for r in rows]

    async def queue(self, *, state: str | None, unit: str | None, now: datetime, limit: int,
                    offset: int) -> list[dict[str, Any]]:
        """Submissions with their resource's provider and name: `open` (undecided), `overdue` (undecided past
        the deadline), `in_notice`, `returned`, `approved`; None: all. `unit`: one provider's only."""
        where = {
            None: "true", "open": "v.decision IS NULL", "overdue": "v.decision IS NULL AND v.due <= $4",
            "in_notice": "v.decision = 'approved' AND r.status = 'in_notice'",
            "returned": "v.decision = 'returned'", "approved": "v.decision = 'approved'",
        }[state]
        args: list[Any] = [unit, limit, offset] + ([now] if state == "overdue" else [])
        rows = await self.conn.fetch(
            f"SELECT v.*, r.provider, r.status AS resource_status, v.metadata ->> 'name' AS name "
            f"FROM reviews v JOIN resources r ON r.code = v.code WHERE {where} "
            "AND ($1::text IS NULL OR r.provider = $1) ORDER BY v.due, v.id LIMIT $2 OFFSET $3", *args)
        return [{"review": _review(r), "provider": r["provider"], "resource_status": r["resource_status"],
                 "name": r["name"]} for r in rows]
