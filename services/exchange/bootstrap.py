"""Composition root of the exchange service."""

import httpx
from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers, overdue
from .settings import ExchangeSettings
from .storage import MIGRATIONS

DESCRIPTION = "Data-sharing exchange: access requests with working-day deadlines, quality disputes, and a call gateway."


def configure(app: FastAPI) -> None:
    # One pooled client for all gateway calls (connection reuse is most of the gateway's speed).
    app.state.gateway_client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200,
                                                                     max_keepalive_connections=100))


def spec(settings: ExchangeSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="exchange", settings=settings or ExchangeSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION, jobs=[overdue.watch], configure=configure,
    )


def create_app(settings: ExchangeSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
