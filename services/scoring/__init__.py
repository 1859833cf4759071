"""Scoring service: the gx-2019 monthly score of every government unit, computed from events."""
