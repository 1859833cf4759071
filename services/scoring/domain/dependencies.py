"""Which facts each item reads, so the live projection re-evaluates only the items a batch can change.

A *channel* names one group of a unit's facts (the UnitFacts fields one event type writes).
Folding an event marks its channels changed for every unit it touched (FactStore.apply: the
unit, the other units it is about, and their parent cities); an item needs re-evaluating for a
unit when one of the channels it reads changed there. A registration changes everything
(kind, absent indicators, a city's counties).

Keep this table next to any new metric or event type: tests/scoring/test_incremental.py checks
that it covers every metric and every folded event type, and that incremental evaluation equals
evaluating every item from scratch.
"""

from __future__ import annotations

from typing import Any

from scoring.domain.ruleset import Item

REGISTRY = "registry"  # every item
# Facts kept in buckets by the month they happened in, which only that month's evaluation reads
# (failed calls, upheld disputes, unsealed uses): a change marks its own month only.
MONTH_CHANNELS = frozenset({"failed_calls", "disputes", "unsealed_uses"})

EVENT_CHANNELS: dict[str, tuple[str, ...]] = {
    "registry.unit-registered": (REGISTRY,),
    "catalog.requirement-assigned": ("batches",),
    "catalog.resource-published": ("published",),
    "catalog.resource-mounted": ("mounted",),
    "catalog.resource-updated": ("updates",),
    "exchange.request-submitted": ("requests",),
    "exchange.request-forwarded": ("requests",),
    "exchange.request-approved": ("requests",),
    "exchange.request-rejected": ("requests",),
    "exchange.call-failed": ("failed_calls",),
    "exchange.dispute-upheld": ("disputes",),
    "exchange.data-used": ("first_use",),
    "elicense.types-claimed": ("claims",),
    "elicense.license-pushed": ("licenses",),  # type_first_push, licenses, first_ofd_auto
    "elicense.license-used": ("first_waiver", "unsealed_uses"),
    "scoring.finding-recorded": (),  # finding:<item>, see channels_of
    "scoring.finding-retracted": (),  # finding:<item> too
}

METRIC_CHANNELS: dict[str, tuple[str, ...]] = {
    "catalog_batch": ("batches", "mounted"),  # deadline_batch also reads mounts
    "first_batch_publication_rate": ("batches", "published"),
    "first_batch_mount_rate": ("batches", "mounted"),
    "stale_resources": ("published", "mounted", "updates"),
    "upheld_disputes": ("disputes",),
    "failed_calls": ("failed_calls",),
    "late_request_decisions": ("requests",),
    "claimed_types_pushed_rate": ("claims", "licenses"),
    "claim_without_declared_stock": ("claims",),
    "stock_aggregation_rate": ("claims", "licenses"),
    "pushed_file_share": ("claims", "licenses"),
    "no_auto_incremental_ofd": ("claims", "licenses"),
    "unsealed_license_uses": ("unsealed_uses",),
    "first_batch_fully_mounted": ("batches", "mounted"),
    "batch_kind_fully_mounted": ("batches", "mounted"),
    "every_batch_on_time": ("batches", "mounted"),
    "stock_fully_aggregated": ("claims", "licenses"),
    "first_license_waiver": ("first_waiver",),
    "first_data_use": ("first_use",),
}


def finding_channel(item_id: str) -> str:
    return "finding:" + item_id


def channels_of(type_: str, data: Any) -> tuple[str, ...]:
    """The channels an event of this type writes (findings: the channel of their item)."""
    if type_ in ("scoring.finding-recorded", "scoring.finding-retracted"):
        return (finding_channel(data.item),)
    return EVENT_CHANNELS.get(type_, (REGISTRY,))  # an unknown folded type: assume anything changed


def item_channels(item: Item) -> tuple[str, ...]:
    """The channels an item reads: its metric's, or (inspectors' items) its own findings."""
    if item.metric is not None:
        return METRIC_CHANNELS[item.metric]
    return (finding_channel(item.id),)
