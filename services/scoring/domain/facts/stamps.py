"""What every fact is keyed and ordered by: the event's id and its (event time, id) stamp."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from scoring.domain.clock import Instant

EventId = int  # the envelope id as a 128-bit int (uuid.UUID.int): cheap to hash and order
Stamp = tuple[Instant, EventId]  # (event time, event id): a total order that ignores arrival


class EnvelopeLike(Protocol):
    """contracts.Envelope and the replay's fast decoder's envelopes both qualify."""

    @property
    def id(self) -> Any: ...
    @property
    def type(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def data(self) -> Any: ...


def earlier(cur: Stamp | None, new: Stamp) -> bool:
    """Whether `new` replaces `cur` as the earliest stamp (facts that keep their first sighting)."""
    return cur is None or new < cur
