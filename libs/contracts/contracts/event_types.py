"""Which payload class each event type has, its topic, and how old versions are upcast."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from contracts.base import SOURCES, Payload
from contracts.errors import ContractError, UnknownEventType

DEADLETTER_TOPIC = "hub.deadletter.v1"
# Scoring's own repartition topic: fact events (the original envelopes) sent from the projection shard that
# read them to the shard that owns another unit they move, keyed by that unit (scoring.domain.sharding).
ROUTED_TOPIC = "hub.scoring.routed.v1"

# type string -> the latest payload class of that type
REGISTRY: dict[str, type[Payload]] = {}
# (type, from_version) -> function turning `data` of from_version into from_version + 1
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}

_TYPE = re.compile(r"[a-z]+\.[a-z][a-z0-9]*(-[a-z0-9]+)*")
P = TypeVar("P", bound=type[Payload])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def register(cls: P) -> P:
    """Class decorator: make `cls` the payload of its TYPE (one class per type)."""
    if not _TYPE.fullmatch(cls.TYPE):
        raise ValueError(f"{cls.__name__}.TYPE {cls.TYPE!r} is not '<service>.<kebab-name>'")
    if not isinstance(cls.VERSION, int) or cls.VERSION < 1:
        raise ValueError(f"{cls.__name__}.VERSION must be an int >= 1")
    if cls.SOURCE not in SOURCES:
        raise ValueError(f"{cls.__name__}.SOURCE {cls.SOURCE!r} is not one of {SOURCES}")
    if cls.TYPE in REGISTRY and REGISTRY[cls.TYPE] is not cls:
        raise ValueError(f"event type {cls.TYPE!r} is already registered to {REGISTRY[cls.TYPE].__name__}")
    REGISTRY[cls.TYPE] = cls
    return cls


def payload_class(type: str) -> type[Payload]:
    try:
        return REGISTRY[type]
    except KeyError:
        raise UnknownEventType(type) from None


def topic_for(type: str, version: int | None = None) -> str:
    """`hub.<type>.v<version>`; the latest version of the type by default."""
    cls = payload_class(type)
    return f"hub.{type}.v{cls.VERSION if version is None else version}"


def all_topics() -> list[str]:
    return sorted(topic_for(t) for t in REGISTRY)


def urgent_topics() -> list[str]:
    """The topics of the types a person waits for (Payload.URGENT), which outbox relays send first."""
    return sorted(topic_for(t) for t, cls in REGISTRY.items() if cls.URGENT)


def register_upcaster(type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Decorator: `fn(data) -> data` turns a `from_version` payload into `from_version + 1`."""

    def decorate(fn: Upcaster) -> Upcaster:
        key = (type, from_version)
        if key in UPCASTERS and UPCASTERS[key] is not fn:
            raise ValueError(f"an upcaster for {type} v{from_version} is already registered")
        UPCASTERS[key] = fn
        return fn

    return decorate


def upcast(type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Apply the chain of upcasters from `version` to the type's latest version."""
    latest = payload_class(type).VERSION
    if version > latest:
        raise ContractError(f"version: {type} v{version} is newer than this reader knows (v{latest})")
    for v in range(version, latest):
        fn = UPCASTERS.get((type, v))
        if fn is None:
            raise ContractError(f"version: no upcaster from {type} v{v} to v{v + 1}")
        try:
            data = fn(dict(data))
        except (KeyError, TypeError, ValueError) as exc:  # malformed old data is a contract failure
            raise ContractError(f"data: upcasting {type} v{v} to v{v + 1} failed: {exc!r}") from None
    return data
