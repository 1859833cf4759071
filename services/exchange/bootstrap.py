"""Composition root of the exchange service."""

from pathlib import Path

from fastapi import FastAPI
from hubkit.blobs import open_store
from hubkit.service import ServiceSpec, build_app

from .api import gateway_lean, routers
from .gateway_state import GatewayState
from .messaging import consumers, overdue
from .settings import ExchangeSettings
from .storage import MIGRATIONS

ACCESS = Path(__file__).parent / "access.toml"  # who may call what (hubkit.access)
DESCRIPTION = ("Data-sharing exchange: access requests with working-day deadlines, quality disputes, a call gateway, "
               "table and file exchange.")


def spec(settings: ExchangeSettings | None = None) -> ServiceSpec:
    settings = settings or ExchangeSettings()
    gateway = GatewayState(settings.egress_allow)
    files = open_store(settings.files_dir, settings.files_url)  # file resources' versions, by SHA-256

    def configure(app: FastAPI) -> None:
        app.state.gateway = gateway
        app.state.files = files

    return ServiceSpec(
        access=ACCESS,
        name="exchange", settings=settings, migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION, jobs=[overdue.watch, overdue.watch_traffic, gateway.hold],
        configure=configure,
        # Table batches (JSON Lines or CSV) and file versions are bigger than the guard's JSON default.
        body_limits={"/tables/": settings.table_batch_max_bytes, "/files/": settings.file_max_bytes},
        traced_by_hand=["/gateway/"],  # api/gateway_calls.py: one server span per call
        lean_routes=[gateway_lean.ROUTE],  # the gateway's calls: past FastAPI's routing and dependencies
    )


def create_app(settings: ExchangeSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
