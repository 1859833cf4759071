"""Composition root of the scoring service."""

from fastapi import FastAPI

from hubkit.service import ServiceSpec, build_app

from .api import routers
from .messaging import consumers
from .settings import ScoringSettings
from .storage import MIGRATIONS

DESCRIPTION = "Live monthly scores under the gx-2019 rules: projection, ledger, findings, month close, replay."


def spec(settings: ScoringSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="scoring", settings=settings or ScoringSettings(), migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION,
    )


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
