"""Composition root of the scoring service."""

from pathlib import Path

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .domain.ruleset import Ruleset, builtin_ruleset, load_ruleset
from .messaging import consumers
from .messaging.projector import LiveProjector
from .messaging.webhooks import WebhookSender
from .settings import ScoringSettings
from .storage import MIGRATIONS

ACCESS = Path(__file__).parent / "access.toml"  # who may call what (hubkit.access)
DESCRIPTION = "Live monthly scores under the gx-2019 rules: projection, ledger, findings, month close, replay."


def ruleset_of(settings: ScoringSettings) -> Ruleset:
    """Loaded and validated at start: a broken ruleset stops the service before it scores anything."""
    return load_ruleset(settings.ruleset_path) if settings.ruleset_path else builtin_ruleset(settings.ruleset)


def spec(settings: ScoringSettings | None = None) -> ServiceSpec:
    settings = settings or ScoringSettings()
    ruleset = ruleset_of(settings)
    projector = LiveProjector(ruleset, max_batch=settings.projection_batch)
    webhooks = WebhookSender(settings, ruleset, projector)

    def configure(app: FastAPI) -> None:
        app.state.ruleset = ruleset
        app.state.projector = projector

    return ServiceSpec(
        access=ACCESS,
        name="scoring",
        settings=settings,
        migrations=MIGRATIONS,
        routers=routers,
        consumers=consumers,
        description=DESCRIPTION,
        jobs=[projector.run, webhooks.run],
        lag_sources=[projector],
        configure=configure,
    )


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
