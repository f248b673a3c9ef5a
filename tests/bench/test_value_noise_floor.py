"""The value noise floor (bench.value_noise_floor): replays follow the generator, the floor counts deciles."""

from __future__ import annotations

import numpy as np
import pytest

from bench.value_noise_floor import REPLAY_KEY_BASE, noise_floor, replay_futures, within
from models.prediction.evaluation import value_decile_table

pytestmark = pytest.mark.unit

PLANTED = {"seed": 7, "customers": 400, "start": "2026-06-01", "end": "2026-06-30"}


def test_replays_are_repeatable_and_differ_between_replicates():
    index = np.arange(0, 400, 3)
    first = replay_futures(PLANTED, index, 3)
    again = replay_futures(PLANTED, index, 3)
    assert first.shape == (3, len(index), 2)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], first[1])  # fresh streams, not one future three times
    assert REPLAY_KEY_BASE > 1000  # far from the truth's own chunk keys


def test_an_oracle_of_identical_futures_has_every_decile_within_and_noise_does_not():
    rng = np.random.default_rng(1)
    level = np.repeat(np.linspace(10.0, 1000.0, 10), 50)
    exact = np.broadcast_to(level[None, :, None], (20, len(level), 2)).copy()
    assert noise_floor(exact, 0)["share_all_ten_within"] == 1.0
    noisy = exact * rng.exponential(1.0, size=exact.shape) * rng.binomial(1, 0.1, size=exact.shape) * 10
    floor = noise_floor(noisy, 0)
    assert floor["mean_deciles_within"] < 10 and floor["replicates"] == 20


def test_within_counts_the_tolerance():
    actual = np.repeat(np.arange(1.0, 11.0), 10)
    assert within(value_decile_table(actual, actual * 1.19)) == 10
    assert within(value_decile_table(actual, actual * 1.25)) == 0
