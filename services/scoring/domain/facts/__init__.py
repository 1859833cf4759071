"""Per-unit facts folded from envelopes, one small typed part per context (catalog, exchange,
e-license, findings) plus the unit registry; `FactStore` folds, `UnitFacts` is one unit's parts."""

from scoring.domain.facts.catalog import Batch, CatalogFacts
from scoring.domain.facts.elicense import Claim, ElicenseFacts
from scoring.domain.facts.exchange import ExchangeFacts, Request
from scoring.domain.facts.findings import (
    AchievedFinding,
    FindingFacts,
    FlagFinding,
    OccurrenceFinding,
    RateFinding,
)
from scoring.domain.facts.registry import SCORED_KINDS, Directory, Registration
from scoring.domain.facts.stamps import EnvelopeLike, EventId, Stamp
from scoring.domain.facts.store import FactStore, UnitFacts

__all__ = [
    "SCORED_KINDS",
    "AchievedFinding",
    "Batch",
    "CatalogFacts",
    "Claim",
    "Directory",
    "ElicenseFacts",
    "EnvelopeLike",
    "EventId",
    "ExchangeFacts",
    "FactStore",
    "FindingFacts",
    "FlagFinding",
    "OccurrenceFinding",
    "RateFinding",
    "Registration",
    "Request",
    "Stamp",
    "UnitFacts",
]
