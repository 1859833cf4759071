"""PostgreSQL storage of the exchange service (schema `exchange`)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
