"""Events of the e-license service. Single pushes use the contract models; a stock import builds the
same JSON directly (tens of thousands per second), which tests/elicense checks decodes to exactly the
envelope `new_envelope` would make."""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
import uuid6
from contracts.elicense import LicensePushed
from contracts.event_types import topic_for

PUSHED_TOPIC = topic_for(LicensePushed.TYPE)


OutboxRow = tuple[uuid.UUID, str, bytes, bytes]


def stock_pushed_rows(issuer: str, at: datetime, licenses: list[tuple[str, str]]) -> list[OutboxRow]:
    """Outbox rows (event id, topic, key, payload) of `elicense.license-pushed` in stock mode for
    (license id, license type) pairs: no file, not sealed (a file attached later pushes again)."""
    key, when = issuer.encode(), at.isoformat()
    rows = []
    for license_id, license_type in licenses:
        event_id = uuid.UUID(int=uuid6.uuid7().int)
        payload = orjson.dumps({
            "id": str(event_id), "type": LicensePushed.TYPE, "version": LicensePushed.VERSION,
            "source": LicensePushed.SOURCE, "unit": issuer, "occurred_at": when, "recorded_at": None,
            "data": {"license_id": license_id, "license_type": license_type, "push_mode": "stock",
                     "file_format": None, "sealed": False}})
        rows.append((event_id, PUSHED_TOPIC, key, payload))
    return rows
