"""`python -m benchmarks`: performance figures, each a ratio against a reference measured in the same run."""
