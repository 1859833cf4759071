"""Composition root of the catalog service."""

from pathlib import Path

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers, review_clock
from .settings import CatalogSettings
from .storage import MIGRATIONS

ACCESS = Path(__file__).parent / "access.toml"  # who may call what (hubkit.access)
DESCRIPTION = "Unit directory, data-resource catalog (政务数据资源目录), mounts, freshness and requirement batches."


def spec(settings: CatalogSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        access=ACCESS,
        name="catalog", settings=settings or CatalogSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION, jobs=[review_clock.watch],
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
