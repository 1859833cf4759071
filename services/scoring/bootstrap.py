"""Composition root of the scoring service."""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .domain.inventory import InventoryRules, builtin_inventory_rules, parse_inventory_rules
from .domain.item_checks import RulesetError
from .domain.ruleset import RULESETS_DIR, Ruleset, builtin_ruleset, load_ruleset
from .domain.submissions import Requirements, builtin_requirements, parse_requirements
from .messaging import consumers
from .messaging.projector import LiveProjector
from .messaging.sweeps import FindingSweeps
from .messaging.webhooks import WebhookSender
from .settings import ScoringSettings
from .storage import MIGRATIONS

T = TypeVar("T")
ACCESS = Path(__file__).parent / "access.toml"  # who may call what (hubkit.access)
DESCRIPTION = "Live monthly scores under the gx-2019 rules: projection, ledger, findings, month close, replay."


def ruleset_of(settings: ScoringSettings) -> Ruleset:
    """Loaded and validated at start: a broken ruleset stops the service before it scores anything."""
    return load_ruleset(settings.ruleset_path) if settings.ruleset_path else builtin_ruleset(settings.ruleset)


def _rules_beside(setting: str, ruleset: Ruleset, what: str, none: T, builtin: Callable[[Ruleset, Path], T],
                  parse: Callable[[str, Ruleset, str], T]) -> T:
    """Rules kept beside the ruleset: 'none', 'builtin' (the file shipped beside it) or a path; checked
    against the ruleset at start like the ruleset itself."""
    if setting == "none":
        return none
    if setting == "builtin":
        return builtin(ruleset, RULESETS_DIR)
    path = Path(setting)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError(f"{path}: cannot read {what}: {exc.strerror}") from None
    return parse(text, ruleset, str(path))


def requirements_of(settings: ScoringSettings, ruleset: Ruleset) -> Requirements:
    """The submission requirements (HUB_SUBMISSIONS)."""
    return _rules_beside(settings.submissions, ruleset, "submission requirements", Requirements(ruleset.id, ()),
                         builtin_requirements, parse_requirements)


def inventory_rules_of(settings: ScoringSettings, ruleset: Ruleset) -> InventoryRules:
    """Which items the units' system inventories feed (HUB_INVENTORY)."""
    return _rules_beside(settings.inventory, ruleset, "inventory rules", InventoryRules(ruleset.id, 10, ()),
                         builtin_inventory_rules, parse_inventory_rules)


def spec(settings: ScoringSettings | None = None) -> ServiceSpec:
    settings = settings or ScoringSettings()
    ruleset = ruleset_of(settings)
    requirements = requirements_of(settings, ruleset)
    projector = LiveProjector(ruleset, max_batch=settings.projection_batch, shards=settings.shards,
                              shard=settings.shard)
    webhooks = WebhookSender(settings, ruleset, projector)
    inventory_rules = inventory_rules_of(settings, ruleset)
    sweep = FindingSweeps(requirements, inventory_rules, ruleset, projector, settings.submission_sweep_seconds,
                          settings.reminder_working_days)

    def configure(app: FastAPI) -> None:
        app.state.ruleset = ruleset
        app.state.requirements = requirements
        app.state.inventory_rules = inventory_rules
        app.state.projector = projector

    return ServiceSpec(
        access=ACCESS,
        name="scoring",
        settings=settings,
        migrations=MIGRATIONS,
        routers=routers,
        consumers=consumers,
        description=DESCRIPTION,
        jobs=[projector.run, webhooks.run, sweep.run],
        lag_sources=[projector],
        readiness={"projection": projector.readiness},
        body_limits={"/submissions/": 17 * 1024 * 1024,  # a file of up to 12 MiB, in base64
                     "/findings/": 17 * 1024 * 1024},  # an appeal's supporting document
        configure=configure,
        # One projection per process: more processes of a shard wait as standbys (messaging/lease.py), and more
        # shards divide the units (HUB_SHARDS).
        scales_out=False,
    )


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
