"""Selection: the pipeline shape, the winner rule and recovery of planted archetypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from models.features import LOG_FEATURES
from models.segmentation.pipeline import (
    CLUSTER_FEATURES,
    KMEANS,
    MINIBATCH_KMEANS,
    RateShrinkage,
    build_pipeline,
    model_inputs,
)
from models.segmentation.selection import Candidate, SelectionConfig, choose_winner, select_model
from models.segmentation.stability import refit_stability, stability_subsamples

FAST = SelectionConfig(k_min=3, k_max=6, algorithms=(KMEANS,), n_init=2)


def test_pipeline_logs_skewed_columns_then_scales(planted):
    features, _ = planted
    inputs = features[list(model_inputs(CLUSTER_FEATURES))]
    assert "emails_sent" in inputs and "emails_sent" not in CLUSTER_FEATURES  # the open rate's exposure
    pipeline = build_pipeline(4, seed=1).fit(inputs)
    columns = pipeline.named_steps["preprocess"].named_steps["columns"]
    logged = columns.transformers_[0][2]
    assert set(logged) == set(LOG_FEATURES) & set(CLUSTER_FEATURES)
    scaled = pipeline.named_steps["preprocess"].transform(inputs)
    assert scaled.shape[1] == len(CLUSTER_FEATURES)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-9)
    # monetary spans orders of magnitude; after log1p + scaling it no longer dominates
    assert scaled.std(axis=0).max() < 1.0 + 1e-9
    assert len(set(pipeline.predict(features))) == 4


def test_rates_shrink_toward_the_population_by_how_little_exposure_stands_behind_them():
    frame = pd.DataFrame({"email_open_rate": [0.2, 0.4, 0.6, 0.0, 1.0], "emails_sent": [10, 10, 10, 0, 2]})
    shrink = RateShrinkage((("email_open_rate", "emails_sent"),)).fit(frame)
    assert shrink.priors_ == {"email_open_rate": 0.5} and shrink.weights_ == {"email_open_rate": 10.0}
    out = shrink.transform(frame)["email_open_rate"]
    assert out[3] == 0.5  # never emailed: unknown, the prior, not zero
    assert out[4] == pytest.approx((1.0 * 2 + 10 * 0.5) / 12)  # two emails barely move it
    assert out[0] == pytest.approx((0.2 * 10 + 0.5 * 10) / 20)  # a typical history: half its own rate
    assert frame["email_open_rate"].iloc[3] == 0.0  # the input is not modified


def test_planted_archetypes_recovered_on_buyers(planted):
    features, truth = planted
    buyers = (features["frequency"] > 0).to_numpy()
    selection = select_model(features[buyers], SelectionConfig(), seed=42)
    labels = selection.pipeline.predict(features[buyers])
    assert adjusted_rand_score(truth[buyers], labels) >= 0.6
    assert 3 <= selection.winner.k <= 6
    assert all(0.0 <= c.stability <= 1.0 for c in selection.candidates)


def test_selection_is_deterministic(planted):
    features, _ = planted
    first = select_model(features, FAST, seed=42)
    second = select_model(features, FAST, seed=42)
    assert first.winner.name == second.winner.name
    np.testing.assert_array_equal(first.sample_index, second.sample_index)
    np.testing.assert_array_equal(first.pipeline.predict(features), second.pipeline.predict(features))


def test_minibatch_kmeans_above_row_threshold(planted):
    features, _ = planted
    config = SelectionConfig(k_min=4, k_max=4, algorithms=(KMEANS,), minibatch_threshold=1000, n_init=1)
    selection = select_model(features, config, seed=42)
    assert selection.winner.algorithm == MINIBATCH_KMEANS


def _candidate(algorithm, k, silhouette, davies_bouldin=1.0, min_share=0.1, stability=0.95):
    return Candidate(
        algorithm, k, None, silhouette, davies_bouldin, 1.0, 1.0, min_share, 0.0, stability=stability
    )


def test_winner_rule_gates_on_share_and_stability_then_ranks_both_scores():
    config = SelectionConfig(min_segment_share=0.02, min_stability=0.8, score_decimals=2)
    tiny = _candidate(KMEANS, 7, 0.70, 0.5, min_share=0.005)
    unstable = _candidate(KMEANS, 6, 0.65, 0.6, stability=0.5)
    coarse = _candidate(KMEANS, 2, 0.42, 1.60)  # best silhouette of the rest, poor Davies-Bouldin
    balanced = _candidate(KMEANS, 5, 0.41, 1.00)  # ranks 2 + 1: beats the coarse split's 1 + 3
    middling = _candidate(KMEANS, 4, 0.40, 1.20)
    assert choose_winner([tiny, unstable, coarse, balanced, middling], config) is balanced
    assert choose_winner([tiny, unstable], config) is unstable  # stability gate keeps them rather than fail
    assert choose_winner([tiny], config) is tiny  # all tiny: keep them rather than fail


def test_winner_rule_ties_prefer_the_simpler_family_then_fewer_segments():
    config = SelectionConfig(score_decimals=2)
    mixture = _candidate("gaussian_mixture", 4, 0.501, 1.001)
    ward = _candidate("agglomerative", 4, 0.502, 1.002)
    kmeans_5 = _candidate(KMEANS, 5, 0.499, 0.999)
    kmeans_4 = _candidate(KMEANS, 4, 0.498, 0.998)  # equal at two decimals
    assert choose_winner([mixture, ward, kmeans_5, kmeans_4], config) is kmeans_4
    assert choose_winner([mixture, ward], config) is ward


def test_refits_reproduce_real_structure_but_not_an_arbitrary_split():
    rng = np.random.default_rng(0)
    blobs = np.vstack([rng.normal(center, 0.3, (200, 2)) for center in ((0, 0), (4, 0), (0, 4))])
    one_blob = rng.normal(0, 1, (600, 2))
    subsamples = stability_subsamples(600, refits=4, fraction=0.8, seed=1)
    assert len(subsamples) == 4 and all(len(s) == 480 for s in subsamples)
    assert refit_stability(KMEANS, 3, blobs, subsamples, seed=1) > 0.95
    assert refit_stability(KMEANS, 7, one_blob, subsamples, seed=1) < 0.9


def test_too_few_rows_is_a_named_error(planted):
    features, _ = planted
    with pytest.raises(ValueError, match="too few"):
        select_model(features.head(5), FAST, seed=42)
