"""The exchange's use cases: commands in, a unit of work around each, events out through the outbox.
The gateway's own call path stays apart (group-committed call records, `storage/recorder.py`)."""
