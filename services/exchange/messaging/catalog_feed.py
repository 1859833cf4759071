"""The exchange's read model of the catalog, fed by catalog events (resources, share types, mounts).

No synchronous call to the catalog: what the exchange knows of a resource (provider = the envelope
unit, name, share type, condition and basis, information items, mount state) is what these events said. Events of
different topics may arrive out of order; the storage keeps the latest fact by event time (see
migration 002).

Data kind (which scoring items a request or call failure counts for): a resource is supervision data
(监管数据, rules B4.12/B4.13) when its classification starts with 监管 or its domain names 监管数据;
everything else is government data (B1.8/B1.9). A domain such as 市场监管 alone does not make it
supervision data: that is the regulator's own government data.
"""

from __future__ import annotations

import asyncpg
from contracts import Envelope, topic_for
from contracts.catalog import ResourceMetadataChanged, ResourceMounted, ResourcePublished, ResourceUnmounted

from exchange.domain.requests import data_kind_of
from exchange.storage import repo

TOPICS = [topic_for(t.TYPE) for t in (ResourcePublished, ResourceMetadataChanged, ResourceMounted, ResourceUnmounted)]


async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
    data = env.data
    if isinstance(data, ResourcePublished | ResourceMetadataChanged):
        await repo.upsert_resource(
            conn, code=data.resource_code, provider=env.unit, name=data.name, share_type=data.share_type,
            share_condition=data.share_condition, share_basis=data.share_basis,
            control_parameters=bool(data.control_parameters),
            items=[item.model_dump(exclude_none=True) for item in data.items or []], secret=bool(data.secret),
            data_kind=data_kind_of(data.classification, data.domain), at=env.occurred_at)
    elif isinstance(data, ResourceMounted):
        await repo.set_mount(conn, data.resource_code, env.unit, data.mount_kind, env.occurred_at)
    elif isinstance(data, ResourceUnmounted):
        await repo.set_mount(conn, data.resource_code, env.unit, None, env.occurred_at)
