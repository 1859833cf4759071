"""The envelope every message travels in (CONTRACTS.md, "Envelope")."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Annotated, Any

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from contracts.base import Payload, Source
from contracts.event_types import REGISTRY, topic_for
from contracts.ids import uuid7
from contracts.values import Uscc

_DATA_SCHEMA = WithJsonSchema(
    {"type": "object", "description": "the payload of `type` at `version`; see <type>.v<version>.json"}
)


class Envelope(BaseModel):
    """One event: the same JSON object on a Kafka topic and on a line of an exported event log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(description="globally unique event id (UUID, v7 preferred); consumers dedupe on it")
    type: str = Field(description="event type, e.g. exchange.call-failed")
    version: int = Field(ge=1, description="schema version of `data` for this type")
    source: Source = Field(description="producing service")
    unit: Uscc = Field(description="USCC of the unit the fact is about; also the Kafka message key")
    occurred_at: AwareDatetime = Field(description="event time, RFC 3339 with offset; scores use this")
    recorded_at: AwareDatetime | None = Field(default=None, description="when the producer recorded it")
    data: Annotated[SerializeAsAny[Payload], _DATA_SCHEMA] = Field(description="the type's payload")

    @property
    def topic(self) -> str:
        return f"hub.{self.type}.v{self.version}"

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"unknown event type {value!r}")
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _typed_payload(cls, value: Any, info: ValidationInfo) -> Any:
        # The payload class depends on the sibling `type`, which pydantic has validated already.
        if not isinstance(value, dict):
            return value
        payload_cls = REGISTRY.get(info.data.get("type", ""))
        if payload_cls is None:
            return Payload()  # `type` already failed: report that alone, not a cascade from data
        if info.mode == "json":
            # JSON is always read strictly: "1" is not an int and true is not "true".
            return payload_cls.model_validate_json(orjson.dumps(value), strict=True)
        return payload_cls.model_validate(value)

    @model_validator(mode="after")
    def _consistent(self) -> Envelope:
        cls = REGISTRY[self.type]
        if self.version != cls.VERSION:
            raise ValueError(
                f"version: {self.type} is at version {cls.VERSION}, got {self.version} "
                "(decode older messages with contracts.decode, which upcasts them)"
            )
        if self.source != cls.SOURCE:
            raise ValueError(f"source: {self.type} is produced by {cls.SOURCE!r}, got {self.source!r}")
        if type(self.data) is not cls:
            raise ValueError(f"data: {self.type} carries {cls.__name__}, got {type(self.data).__name__}")
        return self


def new_envelope(
    payload: Payload,
    *,
    unit: str,
    occurred_at: datetime,
    id: uuid.UUID | None = None,
    recorded_at: datetime | None = None,
) -> Envelope:
    """Wrap a payload; type, version and source come from its class, the id is a fresh UUIDv7."""
    cls = type(payload)
    return Envelope(
        id=id if id is not None else uuid7(),
        type=cls.TYPE,
        version=cls.VERSION,
        source=cls.SOURCE,
        unit=unit,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        data=payload,
    )


@cache
def envelope_model(event_type: str) -> type[Envelope]:
    """A subclass of Envelope pinned to one type: its JSON Schema is the topic's message schema."""
    cls = REGISTRY[event_type]
    fields = Envelope.model_fields

    def pinned(name: str, value: str | int) -> Any:
        return fields[name].annotation, Field(description=fields[name].description, json_schema_extra={"const": value})

    model: type[Envelope] = create_model(
        f"{cls.__name__}Envelope",
        __base__=Envelope,
        __doc__=f"{topic_for(event_type)}: {(cls.__doc__ or '').strip()}",
        type=pinned("type", event_type),
        version=pinned("version", cls.VERSION),
        source=pinned("source", cls.SOURCE),
        data=(cls, Field(description=fields["data"].description)),
    )
    return model
