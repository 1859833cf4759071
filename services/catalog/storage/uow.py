"""The catalog's unit of work on PostgreSQL: its rows bound to the transaction's connection."""

from __future__ import annotations

import asyncpg
from hubkit.uow import AsyncpgUnitOfWork

from catalog.service.ports import Duplicates, Resources, Reviews, Units
from catalog.storage.duplicates import DuplicateRows
from catalog.storage.resources import ResourceRows
from catalog.storage.reviews import ReviewRows
from catalog.storage.units import UnitRows


class PgCatalogUnitOfWork(AsyncpgUnitOfWork):
    resources: Resources
    reviews: Reviews
    duplicates: Duplicates
    units: Units

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.resources, self.reviews, self.units = ResourceRows(conn), ReviewRows(conn), UnitRows(conn)
        self.duplicates = DuplicateRows(conn)
