"""How each resource is used, as the exchange said it: requests (who asked for what), approvals, the steps of
subscriptions (expired and revoked end one; renewed and resumed keep it), and ratings. The catalog portal shows
a resource's subscribers and ratings from this read model; nothing here moves a score.

Who may state each fact: a request's provider is the envelope's unit of `request-submitted` and
`request-approved` (the exchange speaks for it), a subscription step's and a rating's unit is the consumer; a
step or rating naming a resource of another provider than the catalog's is dead-lettered.
"""

from __future__ import annotations

import asyncpg
from contracts import Envelope, topic_for
from contracts.exchange import RequestApproved, RequestSubmitted, ResourceRated, SubscriptionChanged
from hubkit.kafka import Rejected

from catalog.storage.resources import ResourceRows
from catalog.storage.usage import UsageRows

TOPICS = [topic_for(t.TYPE) for t in (RequestSubmitted, RequestApproved, SubscriptionChanged, ResourceRated)]
ENDS = {"expired": True, "revoked": True, "renewed": False, "resumed": False, "suspended": False}


async def _provider_checked(conn: asyncpg.Connection, code: str, provider: str) -> None:
    resource = await ResourceRows(conn).get(code)
    if resource is None or resource.provider != provider:
        raise Rejected(f"{code}: no resource of {provider} in the catalog")


async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
    data, rows = env.data, UsageRows(conn)
    if isinstance(data, RequestSubmitted):
        await _provider_checked(conn, data.resource_code, env.unit)
        await rows.requested(data.request_id, data.resource_code, data.requester_unit)
    elif isinstance(data, RequestApproved):
        await rows.approved(data.request_id, env.occurred_at)
    elif isinstance(data, SubscriptionChanged):
        await _provider_checked(conn, data.resource_code, data.provider_unit)
        await rows.stepped(data.request_id, data.resource_code, env.unit, ENDS[data.change], env.occurred_at)
    elif isinstance(data, ResourceRated):
        await _provider_checked(conn, data.resource_code, data.provider_unit)
        await rows.rated(data.resource_code, env.unit, (data.quality, data.timeliness, data.usefulness),
                         data.comment, env.occurred_at)
    else:
        raise Rejected(f"{env.type} is not a use of a resource the catalog follows")
