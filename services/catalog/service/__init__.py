"""The catalog's use cases: commands in, a unit of work around each, events out through the outbox.

Routers parse a request into a command and call one handler; a handler loads what it needs through
the unit of work's repositories, lets the domain decide, records the events and commits. Reads go
through `queries`. See docs/ARCHITECTURE-PATH.md for the path of one request.
"""
