"""In-memory exchange rows and unit of work: the handlers' port without a database."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from typing import Any

from exchange.domain.demands import Demand
from exchange.domain.requests import AccessRequest
from exchange.domain.subscriptions import HELD, standing_of
from exchange.domain.tables import Net
from hubkit.uow import FakeUnitOfWork


class FakeExchangeRows:
    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, AccessRequest] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.uses: list[dict[str, Any]] = []
        self.calls: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, tuple[str, int]] = {}
        self.traffic_windows: set[datetime] = set()
        self.systems: dict[str, dict[str, Any]] = {}

    def publish(self, code: str, provider: str, share_type: str = "conditional", data_kind: str = "government",
                share_basis: str | None = None, control_parameters: bool = False) -> None:
        self.resources[code] = {"code": code, "provider": provider, "share_type": share_type,
                                "share_basis": share_basis, "data_kind": data_kind,
                                "control_parameters": control_parameters}

    def _held(self, consumer: str, code: str, now: datetime | None = None) -> AccessRequest | None:
        """The newest subscription, a usable one first (as storage/subscriptions.gateway_route orders them)."""
        found = [r for r in self.requests.values() if r.requester == consumer and r.resource_code == code
                 and r.status in HELD]
        return max(found, key=lambda r: (now is not None and standing_of(r).usable(now), r.activated_at),
                   default=None)

    async def resource(self, code: str) -> dict[str, Any] | None:
        return self.resources.get(code)

    async def resources_by_code(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        return {c: self.resources[c] for c in codes if c in self.resources}

    async def insert_request(self, req: AccessRequest, purpose: str) -> None:
        self.requests[req.id] = req

    async def save_request(self, req: AccessRequest) -> None:
        self.requests[req.id] = req

    async def get_request(self, request_id: str, *, for_update: bool = False) -> AccessRequest | None:
        return self.requests.get(request_id)

    async def due_overdue(self, now: datetime) -> list[AccessRequest]:
        return [r for r in self.requests.values() if r.status == "forwarded" and r.overdue_at is None
                and r.provider_due is not None and r.provider_due <= now]

    async def latest_subscription(self, consumer: str, code: str) -> dict[str, Any] | None:
        sub = self._held(consumer, code)
        if sub is None:
            return None
        res = self.resources[code]
        return {"activated_at": sub.activated_at, "provider": res["provider"], "data_kind": res["data_kind"]}

    async def gateway_route(self, consumer: str, code: str, now: datetime) -> dict[str, Any] | None:
        res = self.resources.get(code)
        if res is None:
            return None
        sub = self._held(consumer, code, now)
        fields = ("id", "status", "expires_at", "suspended_reason", "ended_by", "end_reason")
        return {**res, **{f"sub_{f}": getattr(sub, f) if sub else None for f in fields},
                "quota_per_minute": sub and sub.quota_per_minute, "quota_per_day": sub and sub.quota_per_day}

    async def due_expiry(self, now: datetime) -> list[AccessRequest]:
        return [r for r in self.requests.values() if r.status in ("active", "suspended")
                and r.expires_at is not None and r.expires_at <= now]

    async def prune_quota(self, before: datetime) -> int:
        return 0

    async def insert_system(self, *, system_id: str, unit: str, name: str, key_hash: bytes, hint: str,
                            at: datetime) -> dict[str, Any] | None:
        if any(s["unit"] == unit and s["name"] == name for s in self.systems.values()):
            return None
        self.systems[system_id] = {"id": system_id, "unit": unit, "name": name, "key_hash": key_hash,
                                   "key_hint": hint, "created_at": at, "rotated_at": None, "revoked_at": None}
        return self.systems[system_id]

    async def system(self, system_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        return self.systems.get(system_id)

    async def rotate_system(self, system_id: str, key_hash: bytes, hint: str, at: datetime) -> dict[str, Any]:
        self.systems[system_id].update(key_hash=key_hash, key_hint=hint, rotated_at=at)
        return self.systems[system_id]

    async def revoke_system(self, system_id: str, at: datetime) -> dict[str, Any]:
        self.systems[system_id]["revoked_at"] = self.systems[system_id]["revoked_at"] or at
        return self.systems[system_id]

    async def set_endpoint(self, code: str, base_url: str, timeout_ms: int) -> None:
        self.endpoints[code] = (base_url, timeout_ms)

    async def insert_calls(self, calls: list[dict[str, Any]]) -> list[str]:
        new = [c["id"] for c in calls if c["id"] not in self.calls]
        self.calls.update({c["id"]: c for c in calls if c["id"] in new})
        return new

    async def insert_dispute(self, **fields: Any) -> None:
        self.disputes[fields["dispute_id"]] = {**fields, "status": "open"}

    async def dispute_for_update(self, dispute_id: str) -> dict[str, Any] | None:
        return self.disputes.get(dispute_id)

    async def answer_dispute(self, dispute_id: str, status: str, answer: str, at: datetime,
                             correction: str | None = None, delivery: str | None = None) -> None:
        self.disputes[dispute_id] = {**self.disputes[dispute_id], "status": status, "answer": answer,
                                     "correction": correction, "correction_delivery": delivery}

    async def due_dispute_overdue(self, now: datetime) -> list[dict[str, Any]]:
        return [{"id": k, **d} for k, d in sorted(self.disputes.items())
                if d["status"] == "open" and d.get("overdue_at") is None and d["answer_due"] <= now]

    async def mark_dispute_overdue(self, dispute_id: str, at: datetime) -> None:
        self.disputes[dispute_id] = {**self.disputes[dispute_id], "overdue_at": at}

    async def traffic_counted_until(self) -> datetime | None:
        return max(self.traffic_windows, default=None)

    async def first_call(self, at_or_after: datetime | None) -> datetime | None:
        return min((c["started_at"] for c in self.calls.values()
                    if at_or_after is None or c["started_at"] >= at_or_after), default=None)

    async def traffic(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        by: dict[str, list[dict[str, Any]]] = {}
        for c in self.calls.values():
            if start <= c["started_at"] < end:
                by.setdefault(c["provider"], []).append(c)
        out = []
        for provider, calls in sorted(by.items()):
            durations = sorted(c["duration_ms"] for c in calls)
            errors = [c.get("error") for c in calls]
            out.append({"provider": provider, "calls": len(calls), "failed": sum(not c["succeeded"] for c in calls),
                        "timeouts": errors.count("timeout"), "unavailable": errors.count("unavailable"),
                        "server_errors": errors.count("server_error"), "bad_responses": errors.count("bad_response"),
                        "p50": _percentile(durations, 0.5), "p95": _percentile(durations, 0.95),
                        "p99": _percentile(durations, 0.99),
                        "response_bytes": sum(c.get("response_bytes", 0) for c in calls)})
        return out

    async def mark_traffic_counted(self, start: datetime) -> None:
        assert start not in self.traffic_windows, "counted twice"
        self.traffic_windows.add(start)

    async def insert_data_use(self, *, consumer: str, resource_code: str, purpose: str, note: str | None,
                              at: datetime) -> int:
        self.uses.append({"consumer": consumer, "resource_code": resource_code, "purpose": purpose})
        return len(self.uses)


def _percentile(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont: linear between the two nearest ranks."""
    at = (len(values) - 1) * q
    low = int(at)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (at - low)


class FakeTableRows:
    """Stored tables: rows by key, changes in cursor order, batches' reports."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.rows: dict[str, dict[str, Any]] = {}  # code -> key -> row
        self.changes: dict[str, list[tuple[int, str, str, str, dict[str, Any] | None]]] = {}
        self.batches: dict[str, dict[str, Any]] = {}

    async def reserve(self, code: str, n: int) -> int:
        first = self.last.get(code, 0) + 1
        self.last[code] = first + n - 1
        return first

    async def present(self, code: str, keys: list[str]) -> set[str]:
        return {k for k in keys if k in self.rows.get(code, {})}

    async def write(self, code: str, batch_id: str, first: int,
                    changes: list[tuple[str, str, dict[str, Any] | None]], net: Net) -> None:
        self.changes.setdefault(code, []).extend(
            (first + i, batch_id, op, key, row) for i, (op, key, row) in enumerate(changes))
        table = self.rows.setdefault(code, {})
        table.update(net.inserts)
        table.update(net.updates)
        for key in net.deletes:
            del table[key]

    async def record_batch(self, **fields: Any) -> None:
        self.batches[fields["batch_id"]] = fields

    async def delivered_at(self, code: str, delivery_id: str) -> datetime | None:
        found = self.batches.get(delivery_id)
        return found["at"] if found and found["accepted"] and found["code"] == code else None


class FakeFileRows:
    def __init__(self) -> None:
        self.versions: list[dict[str, Any]] = []

    async def latest(self, code: str, *, lock: bool = False) -> dict[str, Any] | None:
        return max((v for v in self.versions if v["resource_code"] == code), key=lambda v: v["version"], default=None)

    async def insert(self, *, file_id: str, code: str, version: int, sha256: str, size: int, name: str,
                     media_type: str, provider: str, at: datetime) -> None:
        self.versions.append({"id": file_id, "resource_code": code, "version": version, "sha256": sha256,
                              "size": size, "name": name, "media_type": media_type, "provider": provider,
                              "uploaded_at": at})


class FakeDemandRows:
    def __init__(self) -> None:
        self.demands: dict[str, Demand] = {}
        self.ratings: dict[tuple[str, str], dict[str, Any]] = {}

    async def insert(self, d: Demand) -> None:
        self.demands[d.id] = d

    async def save(self, d: Demand) -> None:
        self.demands[d.id] = d

    async def get(self, demand_id: str, *, for_update: bool = False) -> Demand | None:
        return self.demands.get(demand_id)

    async def due_overdue(self, now: datetime) -> list[Demand]:
        return [d for d in self.demands.values() if d.status == "assigned" and d.overdue_at is None
                and d.due is not None and d.due <= now]

    async def rate(self, *, code: str, consumer: str, provider: str, quality: int, timeliness: int,
                   usefulness: int, comment: str | None, at: datetime) -> None:
        self.ratings[(code, consumer)] = {"provider": provider, "quality": quality, "timeliness": timeliness,
                                          "usefulness": usefulness, "comment": comment, "at": at}


class FakeBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = data
        return sha

    async def get(self, sha256: str) -> bytes | None:
        return self.blobs.get(sha256)


class FakeExchangeUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.rows = FakeExchangeRows()
        self.tables = FakeTableRows()
        self.files = FakeFileRows()
        self.demands = FakeDemandRows()

    def _snapshot(self) -> Any:
        return copy.deepcopy([dict(part.__dict__) for part in (self.rows, self.tables, self.files, self.demands)])

    def _restore(self, state: Any) -> None:
        for part, saved in zip((self.rows, self.tables, self.files, self.demands), copy.deepcopy(state), strict=True):
            part.__dict__.update(saved)


