"""Who may write and read which topic on an authenticated broker (SASL/SCRAM principals + ACLs).

Each service has its own principal. It may write only the topics of the events it is the source of
(and the dead-letter topic), read only what it consumes (and the dead-letter topic, which its
operators' API lists), and join only its own consumer groups (`hub-<service>.*`). The `admin`
principal (the launcher, `hub reseed`, the tests) is the broker's super user. An event published
without credentials, or by a principal that is not its source, never reaches a consumer.

The consumer side of the matrix is checked against every service's real consumers by a test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest
from contracts import DEADLETTER_TOPIC, ROUTED_TOPIC
from contracts.event_types import REGISTRY, topic_for

from ..revocations import TOPIC as REVOCATIONS

ADMIN = "admin"
SERVICES = ("catalog", "exchange", "elicense", "scoring")
# An event's source names the service that publishes it (`registry` events come from the catalog).
PUBLISHER = {"registry": "catalog", "catalog": "catalog", "exchange": "exchange", "elicense": "elicense",
             "scoring": "scoring"}

# Kafka's wire enums (ResourceType, PatternType, AclOperation, AclPermissionType).
TOPIC, GROUP, CLUSTER = 2, 3, 4
LITERAL, PREFIXED = 3, 4
READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE = 3, 4, 8, 12
ALLOW = 3


def produced_by(service: str) -> list[str]:
    own = [ROUTED_TOPIC] if service == "scoring" else []  # its shards forward facts to one another
    return sorted([*own, *(topic_for(t) for t, cls in REGISTRY.items() if PUBLISHER[cls.SOURCE] == service)])


# The scoring service's own events it scores: inspectors' findings and their retractions.
SCORED_OWN_EVENTS = frozenset({"scoring.finding-recorded", "scoring.finding-retracted"})


# The exchange's deliveries the catalog records as its resources' updates (catalog/messaging/deliveries.py), and
# the requests, subscription steps and ratings its portal shows as a resource's use (catalog/messaging/usage.py).
CATALOG_READS = frozenset({"exchange.table-batch-accepted", "exchange.file-version-added",
                           "exchange.request-submitted", "exchange.request-approved",
                           "exchange.subscription-changed", "exchange.resource-rated"})


def consumed_by(service: str) -> list[str]:
    """What each service reads: the catalog the exchange's deliveries (its resources' updates); exchange the
    catalog's events (its read model); scoring every event of the other services and the findings it
    records (and retracts) itself (the facts it scores)."""
    if service == "catalog":
        return sorted(topic_for(t) for t in CATALOG_READS)
    if service == "exchange":
        return sorted(topic_for(t) for t in REGISTRY if t.startswith("catalog."))
    if service == "scoring":
        return sorted([ROUTED_TOPIC, *(topic_for(t) for t, cls in REGISTRY.items()
                                       if PUBLISHER[cls.SOURCE] != "scoring" or t in SCORED_OWN_EVENTS)])
    return []


@dataclass(frozen=True)
class Acl:
    resource_type: int
    name: str
    pattern: int
    principal: str
    operation: int


def service_acls(service: str) -> list[Acl]:
    user = f"User:{service}"
    acls = [Acl(CLUSTER, "kafka-cluster", LITERAL, user, IDEMPOTENT_WRITE)]
    # Every service takes revocations and follows them all (hubkit.revocations).
    for topic in [*produced_by(service), DEADLETTER_TOPIC, REVOCATIONS]:
        acls += [Acl(TOPIC, topic, LITERAL, user, WRITE), Acl(TOPIC, topic, LITERAL, user, DESCRIBE)]
    for topic in [*consumed_by(service), DEADLETTER_TOPIC, REVOCATIONS]:
        acls += [Acl(TOPIC, topic, LITERAL, user, READ), Acl(TOPIC, topic, LITERAL, user, DESCRIBE)]
    acls.append(Acl(GROUP, f"hub-{service}.", PREFIXED, user, READ))
    return acls


def all_acls(services: Iterable[str] = SERVICES) -> list[Acl]:
    return [acl for service in services for acl in service_acls(service)]


async def apply_acls(admin: AIOKafkaAdminClient, acls: list[Acl]) -> None:
    """Create the ACLs (creating one that exists changes nothing)."""
    node = admin._client.get_random_node()
    responses = await asyncio.gather(*(admin._client.send(node, CreateAclsRequest(
        a.resource_type, a.name, a.pattern, a.principal, "*", a.operation, ALLOW)) for a in acls))
    failed = [(a, r) for a, response in zip(acls, responses, strict=True)
              for r in response.creation_responses if r[0] != 0]
    if failed:
        acl, (code, message) = failed[0]
        raise RuntimeError(f"could not create ACL {acl}: error {code} {message}")


async def grant_all(settings: object) -> None:
    """Create every service's ACLs, as the broker's admin (`settings` carry its principal)."""
    from ..kafka import make_admin
    from ..settings import HubSettings

    assert isinstance(settings, HubSettings)
    admin = make_admin(settings)
    await admin.start()
    try:
        await asyncio.wait_for(apply_acls(admin, all_acls()), 30)
    finally:
        await admin.close()
