"""Domain model of the exchange service: rules and state changes, no I/O."""
