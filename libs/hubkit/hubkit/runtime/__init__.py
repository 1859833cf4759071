"""Local runtime: embedded PostgreSQL, the Tansu broker and the service processes."""
