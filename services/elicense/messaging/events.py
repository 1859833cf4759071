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
    key = issuer.encode()
    # Everything but the id and the license is the same in every event of the call: encode it once.
    # orjson escapes each string, so any license id or type is encoded correctly.
    head = orjson.dumps({"type": LicensePushed.TYPE, "version": LicensePushed.VERSION,
                         "source": LicensePushed.SOURCE, "unit": issuer, "occurred_at": at,
                         "recorded_at": None})[1:-1]
    rows: list[OutboxRow] = []
    for license_id, license_type in licenses:
        event_id = uuid6.uuid7()
        payload = b'{"id":"%s",%s,"data":{"license_id":%s,"license_type":%s,"push_mode":"stock",' \
                  b'"file_format":null,"sealed":false}}' % (
                      str(event_id).encode(), head, orjson.dumps(license_id), orjson.dumps(license_type))
        rows.append((event_id, PUSHED_TOPIC, key, payload))
    return rows
