"""backoff_delay: exponential, jittered, capped, and never sooner than a Retry-After hint."""

from __future__ import annotations

import random

import pytest

from saleor_bexio_app.jobs.queue import backoff_delay


class FixedRandom(random.Random):
    """A Random whose uniform() always lands at the same fraction of the range."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 2.5, 5.0), (2, 5.0, 10.0), (3, 10.0, 20.0), (5, 40.0, 80.0)],
)
def test_delay_doubles_per_attempt_with_jitter_in_the_upper_half(
    attempts: int, low: float, high: float
) -> None:
    assert backoff_delay(attempts, 5.0, 3600.0, FixedRandom(0.0)) == low
    assert backoff_delay(attempts, 5.0, 3600.0, FixedRandom(1.0)) == high


def test_delay_is_capped() -> None:
    assert backoff_delay(20, 5.0, 60.0, FixedRandom(1.0)) == 60.0
    assert backoff_delay(20, 5.0, 60.0, FixedRandom(0.0)) == 30.0


def test_huge_attempt_counts_do_not_overflow() -> None:
    assert backoff_delay(10_000, 5.0, 3600.0, FixedRandom(1.0)) == 3600.0


def test_jitter_spreads_retries_of_jobs_that_failed_together() -> None:
    rng = random.Random(42)
    delays = {round(backoff_delay(3, 5.0, 3600.0, rng), 6) for _ in range(20)}
    assert len(delays) == 20
    assert all(10.0 <= delay <= 20.0 for delay in delays)


def test_retry_after_longer_than_the_backoff_is_honoured_even_above_the_cap() -> None:
    assert backoff_delay(1, 5.0, 60.0, FixedRandom(1.0), retry_after=120.0) == 120.0


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    assert backoff_delay(3, 5.0, 3600.0, FixedRandom(1.0), retry_after=1.0) == 20.0


def test_zero_base_retries_at_once_unless_told_to_wait() -> None:
    assert backoff_delay(4, 0.0, 3600.0, FixedRandom(0.5)) == 0.0
    assert backoff_delay(4, 0.0, 3600.0, FixedRandom(0.5), retry_after=2.0) == 2.0
