"""Composition root of the catalog service."""

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers
from .settings import CatalogSettings
from .storage import MIGRATIONS

DESCRIPTION = "Unit directory, data-resource catalog (政务数据资源目录), mounts, freshness and requirement batches."


def spec(settings: CatalogSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="catalog", settings=settings or CatalogSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION,
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
