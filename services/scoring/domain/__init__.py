"""Pure scoring domain: rulesets, fact state, evaluation. No I/O here."""
