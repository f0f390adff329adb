"""The reconnect backoff: full jitter, capped, reproducible with a seed, sane after thousands of attempts."""

from __future__ import annotations

import random

from tui.transport.client import backoff_delay


def test_backoff_delay_full_jitter_bounds():
    rng = random.Random(1234)
    first = [backoff_delay(1, rng=rng) for _ in range(2000)]
    assert all(0 <= d <= 1.0 for d in first)
    assert max(first) > 0.95 and min(first) < 0.05  # spread over the whole range: full jitter
    for attempt in range(1, 40):
        ceiling = min(30.0, 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays), attempt
    late = [backoff_delay(12, rng=rng) for _ in range(2000)]
    assert max(late) <= 30.0 and max(late) > 29.0


def test_backoff_delay_is_reproducible_with_a_seed():
    a = [backoff_delay(n, 0.5, 10.0, random.Random(7)) for n in range(1, 10)]
    b = [backoff_delay(n, 0.5, 10.0, random.Random(7)) for n in range(1, 10)]
    assert a == b
    assert a == [random.Random(7).uniform(0, min(10.0, 0.5 * 2 ** (n - 1))) for n in range(1, 10)]


def test_backoff_delay_after_a_very_long_outage():
    """Hours of a dead server mean thousands of attempts; the delay stays capped and never overflows."""
    rng = random.Random(3)
    for attempt in (1024, 1100, 5000, 10**6):
        assert 0 <= backoff_delay(attempt, rng=rng) <= 30.0
