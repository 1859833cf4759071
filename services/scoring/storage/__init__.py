"""PostgreSQL storage of the scoring service (schema `scoring`)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
