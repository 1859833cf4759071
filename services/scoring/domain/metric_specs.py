"""Names of the fact computations a ruleset may cite, the item kinds they feed and their params.

Kept apart from the computations so a ruleset can be validated without touching fact state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BATCH_KINDS = ("first_batch_catalog", "business_environment", "high_frequency", "theme")
DATA_KINDS = ("government", "supervision")


@dataclass(frozen=True)
class MetricSpec:
    kinds: tuple[str, ...]
    # param name -> allowed values (empty: any value)
    params: dict[str, tuple[object, ...]] = field(default_factory=dict)


METRIC_SPECS: dict[str, MetricSpec] = {
    "catalog_batch": MetricSpec(("deadline_batch",), {"batch_kind": BATCH_KINDS}),
    "first_batch_publication_rate": MetricSpec(("tiered_rate",)),
    "first_batch_mount_rate": MetricSpec(("tiered_rate",)),
    "stale_resources": MetricSpec(("occurrence",)),
    "upheld_disputes": MetricSpec(("occurrence",), {"data_kind": DATA_KINDS}),
    "failed_calls": MetricSpec(("occurrence",), {"data_kind": DATA_KINDS}),
    "late_request_decisions": MetricSpec(("occurrence",), {"data_kind": DATA_KINDS, "working_days": ()}),
    "claimed_types_pushed_rate": MetricSpec(("tiered_rate",)),
    "claim_without_declared_stock": MetricSpec(("flag",)),
    "stock_aggregation_rate": MetricSpec(("tiered_rate",)),
    "pushed_file_share": MetricSpec(("tiered_rate",)),
    "no_auto_incremental_ofd": MetricSpec(("flag",)),
    "unsealed_license_uses": MetricSpec(("occurrence",)),
    "first_batch_fully_mounted": MetricSpec(("achievement",)),
    "batch_kind_fully_mounted": MetricSpec(("achievement",), {"batch_kind": BATCH_KINDS}),
    "every_batch_on_time": MetricSpec(("achievement",), {"batch_kind": BATCH_KINDS}),
    "stock_fully_aggregated": MetricSpec(("achievement",)),
    "first_license_waiver": MetricSpec(("achievement",)),
    "first_data_use": MetricSpec(
        ("achievement",), {"purpose": ("any", "general", "high_frequency", "business_environment")}
    ),
}
