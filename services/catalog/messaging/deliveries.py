"""What the exchange delivered of a catalog resource is the resource's update.

A table batch the exchange accepted (`exchange.table-batch-accepted`) or a file version it stored
(`exchange.file-version-added`) is recorded as the resource's update at the instant it was accepted, and
said as `catalog.resource-updated` with origin `delivery`, so freshness
(and rule B1.6) judges what a provider delivered rather than what it reported. The envelope's unit is the
provider the exchange admitted; the catalog checks it is the resource's provider and that the resource was
mounted at that instant, and dead-letters the event otherwise (the exchange's read model was wrong). One heard
of after an unmount still counts for its day. The update event's id is derived from the delivery event's id,
so a redelivery that slipped past the consumer's idempotency still says the same event once.
"""

from __future__ import annotations

import uuid

import asyncpg
from contracts import Envelope, new_envelope, topic_for
from contracts.catalog import ResourceUpdated
from contracts.exchange import FileVersionAdded, TableBatchAccepted
from hubkit import outbox
from hubkit.kafka import Rejected

from catalog.storage.resources import ResourceRows

TOPICS = [topic_for(TableBatchAccepted.TYPE), topic_for(FileVersionAdded.TYPE)]
SCHEMA = "catalog"
_IDS = uuid.UUID("6f1d2c64-3a0b-4c55-9a39-0c7b5d2f2a10")  # namespace of update ids derived from deliveries


async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
    data = env.data
    if isinstance(data, TableBatchAccepted):
        delivery_id, records = data.batch_id, data.rows
    elif isinstance(data, FileVersionAdded):
        delivery_id, records = data.file_id, None
    else:
        raise Rejected(f"{env.type} is not a delivery the catalog records")
    rows = ResourceRows(conn)
    resource = await rows.get(data.resource_code, for_update=True)
    if resource is None or resource.provider != env.unit:
        raise Rejected(f"{data.resource_code}: no resource of {env.unit} in the catalog")
    # Mounted when the exchange accepted it, whatever happened since (an unmount the catalog committed before it
    # heard of the delivery does not undo the update of that day).
    then = await rows.get_as_of(data.resource_code, env.occurred_at)
    if then is None or not then.mounted:
        raise Rejected(f"{data.resource_code} was not mounted in the catalog when the exchange accepted the "
                       "delivery: it is no update of it")
    await rows.record_update(data.resource_code, records, env.occurred_at, origin="delivery", delivery_id=delivery_id)
    update = ResourceUpdated(resource_code=data.resource_code, records=records, origin="delivery",
                             delivery_id=delivery_id)
    await outbox.add(conn, SCHEMA, new_envelope(update, unit=env.unit, occurred_at=env.occurred_at,
                                                id=uuid.uuid5(_IDS, str(env.id))))
