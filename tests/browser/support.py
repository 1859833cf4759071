"""What every browser test shares: Debian's chromium with the flags this machine needs, where screenshots go,
and waiting for a unit's live score before looking at a page."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubkit.testing import token

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
MARKS = [pytest.mark.integration,
         pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


async def wait_total(client: httpx.AsyncClient, unit: str, total: str | None, month: str = "2019-08",
                     timeout: float = 120) -> dict[str, Any]:
    """The unit's live score once it reaches `total` (None: once it has one). A fresh projection reads the
    shared broker's topics from their beginning: after other tests wrote many events this takes a while, so
    wait (bounded), then look."""
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(f"/scores/{unit}?month={month}", headers=token("operator"))
        if (r.status_code == 200 and total in (None, r.json()["total"])) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 200 and total in (None, r.json()["total"]), r.text
    body: dict[str, Any] = r.json()
    return body
