"""PostgreSQL storage of the elicense service (schema `elicense`)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
