"""Publishing through the review in live tests: the unit submits, the bureau approves with no notice period."""

from __future__ import annotations

import httpx
from hubkit.testing import token


async def publish(client: httpx.AsyncClient, code: str, headers: dict[str, str]) -> httpx.Response:
    """The response to the approval (or to the submission, when that was refused)."""
    submitted = await client.post(f"/resources/{code}/submit", headers=headers)
    if submitted.status_code != 200:
        return submitted
    return await client.post(f"/resources/{code}/review", headers=token("operator"),
                             json={"decision": "approve", "notice_days": 0})


async def approve(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post(f"/resources/{code}/review", headers=token("operator"), json={"decision": "approve"})
