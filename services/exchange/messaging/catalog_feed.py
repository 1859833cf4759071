"""The exchange's read model of the catalog, fed by catalog events (resources, share types, mounts)."""

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
            data_kind=data_kind_of(data.classification, data.domain), at=env.occurred_at)
    elif isinstance(data, ResourceMounted):
        await repo.set_mount(conn, data.resource_code, data.mount_kind)
    elif isinstance(data, ResourceUnmounted):
        await repo.set_mount(conn, data.resource_code, None)
