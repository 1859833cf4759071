"""Fact computations named by rulesets (`metric = "..."`) for items computed from service events.

Each function reads one unit's facts at a Window and returns what it observed (the shape its
kind needs) with the instants it compared T with (`Seen`); they are registered by name in
METRICS, which must match metric_specs.METRIC_SPECS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scoring.domain.metric_specs import METRIC_SPECS
from scoring.domain.metrics import catalog, elicense, exchange
from scoring.domain.metrics.catalog import completion
from scoring.domain.ruleset import Item
from scoring.domain.window import Seen, UnitView, Window

Metric = Callable[[UnitView, Item, Window], Seen[Any]]

METRICS: dict[str, Metric] = {
    "catalog_batch": catalog.catalog_batch,
    "first_batch_publication_rate": catalog.first_batch_publication_rate,
    "first_batch_mount_rate": catalog.first_batch_mount_rate,
    "stale_resources": catalog.stale_resources,
    "upheld_disputes": exchange.upheld_disputes,
    "failed_calls": exchange.failed_calls,
    "late_request_decisions": exchange.late_request_decisions,
    "claimed_types_pushed_rate": elicense.claimed_types_pushed_rate,
    "claim_without_declared_stock": elicense.claim_without_declared_stock,
    "stock_aggregation_rate": elicense.stock_aggregation_rate,
    "pushed_file_share": elicense.pushed_file_share,
    "no_auto_incremental_ofd": elicense.no_auto_incremental_ofd,
    "unsealed_license_uses": elicense.unsealed_license_uses,
    "first_batch_fully_mounted": catalog.first_batch_fully_mounted,
    "batch_kind_fully_mounted": catalog.batch_kind_fully_mounted,
    "every_batch_on_time": catalog.every_batch_on_time,
    "stock_fully_aggregated": elicense.stock_fully_aggregated,
    "first_license_waiver": elicense.first_license_waiver,
    "first_data_use": exchange.first_data_use,
}

assert set(METRICS) == set(METRIC_SPECS), "metrics and metric_specs disagree"

__all__ = ["METRICS", "Metric", "completion"]
