"""The scoring service's write use cases (findings, month close, webhooks, console codes): commands in,
a unit of work around each, events out through the outbox. Facts themselves are folded by the live
projection (`messaging/projector.py`), which commits archive, state and offsets in its own transaction."""
