"""The volume band: ratio-based on large feeds, noise-aware on small ones."""

from __future__ import annotations

from expectations.common import GateThresholds
from expectations.suites.silver.drift import volume_bounds


def test_large_feeds_use_the_ratio_band():
    assert volume_bounds(10_000, GateThresholds()) == (5_000, 20_000)


def test_small_feeds_tolerate_poisson_noise_but_not_a_collapse():
    low, high = volume_bounds(10.8, GateThresholds())
    assert high >= 22, "a 10-order-a-day shop may double on a busy day"
    low, high = volume_bounds(150, GateThresholds())
    assert low > 15, "a day at 10% of a 150-row feed still fails"
    assert volume_bounds(4, GateThresholds())[0] == 0
