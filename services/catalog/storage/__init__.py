"""PostgreSQL storage of the catalog service (schema `catalog`)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
