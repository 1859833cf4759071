"""hubkit: what every gov-hub service needs, written once.

Settings, database pool and migrations, transactional outbox and its relay,
Kafka wiring (producer, idempotent consumer, dead letters), telemetry,
authentication, RFC 9457 problems, the HTTP app factory and the local runtime.
"""
