"""Domain model of the scoring service: rules and state changes, no I/O."""
