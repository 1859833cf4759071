"""A dataclass as a table row: the domain's records (requests, demands) are written field for field, their
first field the key, so a new field needs a column and nothing else."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg


def fields_of(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


async def insert(conn: asyncpg.Connection, table: str, record: Any, **extra: Any) -> None:
    """INSERT every field of the record (and `extra` columns)."""
    values = dataclasses.asdict(record) | extra
    cols = list(values)
    await conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                       f"({', '.join(f'${i}' for i in range(1, len(cols) + 1))})", *values.values())


async def save(conn: asyncpg.Connection, table: str, record: Any) -> None:
    """UPDATE every field of the record but its first, the key."""
    values = dataclasses.asdict(record)
    key, *cols = list(values)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
    await conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = $1", *values.values())
