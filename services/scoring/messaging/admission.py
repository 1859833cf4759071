"""What the projection takes from a record, and what it dead-letters with the reason.

The broker says who may write each topic: every service is its own principal and writes only the topics of
the events it is the source of (`hubkit.runtime.access`). A fact is that service's statement only if its
type belongs on the topic it was read from; one written on another type's topic (the catalog's principal
writing an exchange failure onto a catalog topic) is nobody's statement and moves no score. Events on the
routed topic come from another shard, which admitted them from their own topics before sending them on.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aiokafka import ConsumerRecord
from contracts import topic_for
from contracts.errors import ContractError
from contracts.fastdecode import DecodeError, decode
from hubkit.kafka import too_large


@cache
def _topic_suffix(type_: str) -> str:
    """`.<type>.v<version>`: the topic of a type, whatever prefix the deployment's topics carry (a benchmark's)."""
    try:
        return topic_for(type_).removeprefix("hub")
    except ContractError:
        return ""  # a type the contracts do not know: nothing belongs anywhere


def admit(msg: ConsumerRecord, max_bytes: int, routed_topic: str) -> tuple[Any, str | None]:
    """(the decoded envelope, None), or (None, why it is refused)."""
    if reason := too_large(msg, max_bytes):
        return None, reason
    try:
        env = decode(msg.value or b"")
    except DecodeError as exc:
        return None, f"invalid event: {exc}"
    suffix = _topic_suffix(env.type)
    if msg.topic != routed_topic and not (suffix and msg.topic.endswith(suffix)):
        return None, f"a {env.type} event does not belong on {msg.topic}: its source may not state it there"
    return env, None
