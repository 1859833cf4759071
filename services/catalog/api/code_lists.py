"""The catalog's code lists (contracts/code_lists): catalog kinds and their items, domains, by version."""

from __future__ import annotations

from typing import Annotated, Any

from contracts import code_lists
from fastapi import APIRouter, Query
from hubkit.problems import not_found

router = APIRouter(tags=["code lists"])


@router.get("/code-lists", summary="The code lists writes are checked against (the current version, or another)")
async def lists(version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    shipped = code_lists.versions()
    chosen = code_lists.current() if version is None else shipped.get(version)
    if chosen is None:
        raise not_found("code lists version", str(version))
    return {
        "version": chosen.version, "versions": list(shipped), "region": chosen.region,
        "kinds": {k.key: {"digit": k.digit, "name": k.name, "items": k.items} for k in chosen.kinds.values()},
        "domains": list(chosen.domains),
    }
