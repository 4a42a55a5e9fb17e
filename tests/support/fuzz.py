"""The Hypothesis settings every schemathesis fuzz suite runs with."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible (derandomized, no example database) and bounded by examples, not by time.

    The fixtures an operation's examples share are shared on purpose, and the coverage phase makes large
    cases: neither is a health problem here.
    """
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
