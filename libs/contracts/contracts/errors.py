"""The errors every consumer of the contracts catches."""

from __future__ import annotations


class ContractError(ValueError):
    """A message that does not satisfy its contract; `reason` names the field path and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventType(ContractError):
    """An event type this reader has no payload model for."""

    def __init__(self, type: str) -> None:
        super().__init__(f"type: unknown event type {type!r}")
        self.type = type
