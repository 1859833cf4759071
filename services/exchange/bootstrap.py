"""Composition root of the exchange service."""

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers
from .settings import ExchangeSettings
from .storage import MIGRATIONS

DESCRIPTION = "Data-sharing exchange: access requests with working-day deadlines, quality disputes, and a call gateway."


def spec(settings: ExchangeSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="exchange", settings=settings or ExchangeSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION,
    )


def create_app(settings: ExchangeSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
