"""The e-license library's use cases: commands in, a unit of work around each, events out through the
outbox. File checks are an adapter behind `ports.FileVerifier`; the streamed stock import keeps its own
bulk path (`stock_import.py`, COPY and encoded outbox rows per chunk)."""
