"""Domain model of the elicense service: rules and state changes, no I/O."""
