"""The demo's connection to the hub: HTTP clients with tokens per role and unit, the simulated clock,
the saved progress, one generator per decision, and waiting for the scores."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
from hubkit.auth import Role, mint_token
from hubkit.settings import HubSettings
from rich.console import Console

from . import progress as saved
from .cast import DemoFailed, Open, Unit, problem_of
from .progress import SH, Plan

RATE_LIMIT_RETRIES = 10


class DemoBase:
    def __init__(self, ports: dict[str, int], plan: Plan, home: Path, console: Console,
                 day_seconds: float = 0.0, provider_port: int | None = None) -> None:
        self.plan, self.home, self.console, self.day_seconds = plan, home, console, day_seconds
        self.progress = plan.progress
        self.month, self.seed = plan.month, plan.progress.seed
        self.provider_port = provider_port
        self.rng = self.rng_for("start")
        secret = HubSettings().jwt_secret
        self._secret = secret
        self.http = {name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for name, port in
                     ports.items()}
        self.operator = {"Authorization": f"Bearer {mint_token(secret, role=Role.operator)}"}
        self.inspector = {"Authorization": f"Bearer {mint_token(secret, role=Role.inspector)}"}
        self._tokens: dict[str, dict[str, str]] = {}
        self.units: dict[str, Unit] = {}
        self.directory: list[dict[str, str]] = []
        self.open: list[Open] = []
        self.to_review: list[str] = []
        self.to_reply: list[str] = []
        self.subscriptions: list[tuple[str, str]] = []  # (consumer, code)
        self.disputes: list[tuple[str, str, date | None]] = []  # open: (id, provider, the day it answers)
        self.counts: dict[str, int] = {}
        self.last_call = "none yet"
        self.label = ""  # the month's place in a run of several ("(2/4)")
        from elicense.local import local_seal_authority, local_sm2_seal_authority
        from elicense.samples import SealAuthority

        self.seal = SealAuthority.load(local_seal_authority(home).parent)
        self.sm2_seal = local_sm2_seal_authority(home)

    def rng_for(self, *what: object) -> random.Random:
        """A generator for one decision: the same seed and subject give the same draws in any run."""
        return random.Random(":".join(map(str, (self.seed, *what))))

    def dept(self, unit: str) -> dict[str, str]:
        if unit not in self._tokens:
            token = mint_token(self._secret, role=Role.department, unit=unit)
            self._tokens[unit] = {"Authorization": f"Bearer {token}"}
        return self._tokens[unit]

    def call(self, service: str, method: str, path: str, headers: dict[str, str], what: str,
             ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        self.last_call = f"{method} {service} {path}"
        r = self.http[service].request(method, path, headers=headers, **kwargs)
        for _ in range(RATE_LIMIT_RETRIES):
            if r.status_code != 429:
                break
            # Writes are rate-limited per token: a client waits as told instead of losing the write.
            self.counts["waits for the rate limit"] = self.counts.get("waits for the rate limit", 0) + 1
            time.sleep(min(float(r.headers.get("Retry-After", "1")), 5.0))
            r = self.http[service].request(method, path, headers=headers, **kwargs)
        self.last_call += f" → {r.status_code}"
        self.counts[what] = self.counts.get(what, 0) + 1
        if r.status_code not in ok:
            self.counts[f"{what} refused"] = self.counts.get(f"{what} refused", 0) + 1
        return r

    def read(self, service: str, path: str, headers: dict[str, str], ok: tuple[int, ...] = (200,),
             **params: Any) -> httpx.Response:
        """A read the demo cannot go on without: anything else stops it with the problem document."""
        self.last_call = f"GET {service} {path}"
        r = self.http[service].get(path, headers=headers, params=params)
        self.last_call += f" → {r.status_code}"
        if r.status_code not in ok:
            raise DemoFailed(f"{self.last_call}: {problem_of(r)}")
        return r

    def set_clock(self, when: datetime) -> None:
        for name, client in self.http.items():
            self.last_call = f"PUT {name} /admin/clock"
            r = client.put("/admin/clock", headers=self.operator, json={"now": when.isoformat()})
            if r.status_code not in (200, 409):  # 409: a clock already there (or on the system clock)
                raise DemoFailed(f"{self.last_call} → {r.status_code}: {problem_of(r)}")
        self.remember(clock=when.isoformat())

    def remember(self, **changes: Any) -> None:
        self.progress = replace(self.progress, **changes)
        saved.save(self.home, self.progress)

    def wait_for_scores(self, timeout: float = 180.0) -> dict[str, Any]:
        """Until scoring has folded every event up to the month's end (its watermark passed it)."""
        deadline = time.monotonic() + timeout
        year, month = map(int, self.month.split("-"))
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SH)
        board: dict[str, Any] = {}
        while time.monotonic() < deadline:
            r = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator)
            if r.status_code == 200:
                board = r.json()
                if board.get("as_of") and datetime.fromisoformat(board["as_of"]) >= end and self._drained():
                    return board
            time.sleep(0.5)
        return board

    def close_month(self) -> bool:
        """The bureau closes the month once scoring has folded it: every unit's result is sealed and the
        month's bulletin is out. False when it could not be (it says why)."""
        for _ in range(20):
            r = self.http["scoring"].post(f"/months/{self.month}/close", headers=self.operator)
            if r.status_code == 201 or (r.status_code == 409 and "already closed" in r.text):
                return True
            if r.status_code != 409:  # 409 otherwise: the month's end has not reached scoring yet
                break
            time.sleep(0.5)
        self.console.print(f"[yellow]{self.month} was not closed: {r.status_code} {r.text[:300]}[/yellow]")
        return False

    def board(self) -> dict[str, Any]:
        body: dict[str, Any] = self.read("scoring", "/scores", self.operator, ok=(200, 404), month=self.month).json()
        return body

    def _drained(self) -> bool:
        # Every service's outbox is empty once /health/ready says so is not exposed; a stable board will do.
        r1 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        time.sleep(1.5)
        r2 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        return bool(r1 == r2)
