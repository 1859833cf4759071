"""The hub's event contracts: envelope, typed payloads, topics, codec and code validators.

Importing the package registers every event type; other code depends on these names only.
"""

from __future__ import annotations

from contracts import catalog, elicense, exchange, registry_events, scoring
from contracts.base import Payload, Source
from contracts.codec import decode, encode
from contracts.envelope import Envelope, envelope_model, new_envelope
from contracts.errors import ContractError, UnknownEventType
from contracts.event_types import (
    DEADLETTER_TOPIC,
    REGISTRY,
    ROUTED_TOPIC,
    all_topics,
    payload_class,
    register,
    register_upcaster,
    topic_for,
)

ALL_TOPICS: list[str] = all_topics()

__all__ = [
    "ALL_TOPICS",
    "DEADLETTER_TOPIC",
    "REGISTRY",
    "ROUTED_TOPIC",
    "ContractError",
    "Envelope",
    "Payload",
    "Source",
    "UnknownEventType",
    "catalog",
    "decode",
    "elicense",
    "encode",
    "envelope_model",
    "exchange",
    "new_envelope",
    "payload_class",
    "register",
    "register_upcaster",
    "registry_events",
    "scoring",
    "topic_for",
]
