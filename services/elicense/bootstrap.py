"""Composition root of the elicense service."""

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers
from .settings import ElicenseSettings
from .storage import MIGRATIONS

DESCRIPTION = "E-license library: claimed types, stock declarations, pushes with verified files and seals, uses."


def spec(settings: ElicenseSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="elicense", settings=settings or ElicenseSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION,
    )


def create_app(settings: ElicenseSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
