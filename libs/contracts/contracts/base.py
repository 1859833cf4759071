"""The payload base class: what every event's `data` has in common."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

Source = Literal["registry", "catalog", "exchange", "elicense", "scoring"]
SOURCES: tuple[str, ...] = ("registry", "catalog", "exchange", "elicense", "scoring")


class Payload(BaseModel):
    """The `data` of an event. Subclasses name their event with TYPE, VERSION and SOURCE."""

    # Unknown fields are an error, not silently dropped: a producer ahead of this reader must
    # bump the version, and readers then upcast old versions instead of guessing.
    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    SOURCE: ClassVar[Source]
    # A person waits for it (an alert, a reminder): the outbox relay sends events of these types ahead of the
    # rest, so a burst of bulk events (a deadline's score changes across a province) does not hold one up.
    URGENT: ClassVar[bool] = False
