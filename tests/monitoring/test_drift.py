"""Reference bins and the population stability index (`customer_platform.drift`), on known samples."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from customer_platform.drift import (
    DISCRETE,
    QUANTILE,
    SHARE_FLOOR,
    bin_counts,
    bin_labels,
    column_reference,
    population_stability_index,
    psi_from_shares,
    reference_bins,
)
from customer_platform.monitoring_settings import MonitoringThresholds

DEFAULTS = MonitoringThresholds()


@pytest.fixture(scope="module")
def training():
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "spend": rng.lognormal(4.0, 1.0, 20_000),
            "orders": rng.poisson(2.0, 20_000).astype(float),
            "channel_count": np.full(20_000, 2.0),
        }
    )


def test_deciles_hold_a_tenth_each_and_the_shares_add_up(training):
    ref = column_reference(training["spend"])
    assert ref["kind"] == QUANTILE and len(ref["edges"]) == 9
    assert ref["shares"][:-1] == pytest.approx([0.1] * 10, abs=0.002)
    assert ref["shares"][-1] == 0.0, "no missing values in training"
    assert sum(ref["shares"]) == pytest.approx(1.0)
    assert json.loads(json.dumps(ref)) == ref, "stored as plain JSON in the model metadata"


def test_a_sample_from_the_same_population_stays_near_zero(training):
    ref = column_reference(training["spend"])
    fresh = np.random.default_rng(99).lognormal(4.0, 1.0, 5_000)
    assert population_stability_index(ref, fresh) < 0.02
    assert population_stability_index(ref, training["spend"]) == pytest.approx(0.0, abs=1e-12)


def test_a_shifted_feature_crosses_the_critical_threshold(training):
    ref = column_reference(training["spend"])
    rng = np.random.default_rng(5)
    moderate = population_stability_index(ref, rng.lognormal(4.35, 1.0, 5_000))
    shifted = population_stability_index(ref, rng.lognormal(4.6, 1.0, 5_000))
    assert DEFAULTS.psi_warning <= moderate < DEFAULTS.psi_critical, moderate
    assert shifted >= DEFAULTS.psi_critical, shifted
    beyond = population_stability_index(ref, np.full(1000, training["spend"].max() * 10))
    assert beyond > 5, "values beyond the training range land in the open top bin"


def test_discrete_columns_get_one_bin_per_value(training):
    small = column_reference([0, 1, 1, 2, 2, 2])
    assert small["kind"] == DISCRETE and small["edges"] == [0.5, 1.5]
    assert small["shares"] == pytest.approx([1 / 6, 2 / 6, 3 / 6, 0.0])
    assert bin_labels(small) == ["(-inf, 0.5]", "(0.5, 1.5]", "(1.5, inf)", "missing"]
    poisson = column_reference(training["orders"])
    assert poisson["kind"] == QUANTILE, "more distinct counts than bins: quantiles, ties merged"
    assert len(poisson["edges"]) < 9 and len(set(poisson["edges"])) == len(poisson["edges"])
    assert sum(poisson["shares"]) == pytest.approx(1.0)


def test_a_constant_column_has_one_value_bin_and_drifts_only_by_missing_values(training):
    ref = column_reference(training["channel_count"])
    assert ref["edges"] == [] and ref["shares"] == [1.0, 0.0]
    assert population_stability_index(ref, [2.0] * 100) == 0.0
    assert population_stability_index(ref, [7.0] * 100) == 0.0, "one bin: any value is in it"
    assert population_stability_index(ref, [2.0] * 50 + [None] * 50) > DEFAULTS.psi_critical


def test_missing_values_have_their_own_bin():
    ref = column_reference([1.0, 2.0, None, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0])
    assert ref["shares"][-1] == pytest.approx(2 / 14)
    counts = bin_counts(ref, pd.Series([1.0, None, None, 30.0]))
    assert counts[-1] == 2 and counts.sum() == 4 and counts[-2] == 1
    assert population_stability_index(ref, [None] * 10) > DEFAULTS.psi_critical
    nullable = pd.Series([1, None, 3], dtype="Int64")
    assert bin_counts(ref, nullable)[-1] == 1, "pandas nullable integers: NA is missing"
    all_missing = column_reference([None, None])
    assert all_missing["shares"] == [0.0, 1.0]


def test_psi_formula_and_floor():
    expected, actual = [0.5, 0.5, 0.0], [0.25, 0.75, 0.0]
    by_hand = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert psi_from_shares(expected, actual) == pytest.approx(by_hand), "an empty bin on both sides adds 0"
    emptied = psi_from_shares([0.5, 0.5], [1.0, 0.0])
    assert math.isfinite(emptied)
    assert emptied == pytest.approx(
        0.5 * math.log(1.0 / 0.5) + (SHARE_FLOOR - 0.5) * math.log(SHARE_FLOOR / 0.5)
    )
    assert psi_from_shares([0.2, 0.8], [0.8, 0.2]) == pytest.approx(psi_from_shares([0.8, 0.2], [0.2, 0.8]))
    with pytest.raises(ValueError, match="differ in length"):
        psi_from_shares([1.0], [0.5, 0.5])


def test_reference_bins_cover_the_named_columns(training):
    bins = reference_bins(training, ["spend", "orders"])
    assert list(bins) == ["spend", "orders"]
    with pytest.raises(KeyError, match="nope"):
        reference_bins(training, ["nope"])
    with pytest.raises(ValueError, match="bins"):
        column_reference([1.0, 2.0], bins=1)
    assert math.isnan(population_stability_index(bins["spend"], []))


def test_last_bit_differences_in_the_inputs_give_the_same_reference():
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 30.0, 2_000)
    summed_otherwise = values * (1 + 1e-15 * rng.choice([-1.0, 1.0], len(values)))
    assert not np.array_equal(values, summed_otherwise)
    assert column_reference(values) == column_reference(summed_otherwise)
    assert bin_labels(column_reference(values)) == bin_labels(column_reference(summed_otherwise))
