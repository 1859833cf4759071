"""Domain model of the catalog service: rules and state changes, no I/O."""
