"""Selection: the pipeline shape, the winner rule and recovery of planted archetypes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from models.features import LOG_FEATURES
from models.segmentation.pipeline import CLUSTER_FEATURES, KMEANS, MINIBATCH_KMEANS, build_pipeline
from models.segmentation.selection import Candidate, SelectionConfig, choose_winner, select_model

FAST = SelectionConfig(k_min=3, k_max=6, algorithms=(KMEANS,), n_init=2)


def test_pipeline_logs_skewed_columns_then_scales(planted):
    features, _ = planted
    pipeline = build_pipeline(4, seed=1).fit(features[list(CLUSTER_FEATURES)])
    columns = pipeline.named_steps["preprocess"].named_steps["columns"]
    logged = columns.transformers_[0][2]
    assert set(logged) == set(LOG_FEATURES) & set(CLUSTER_FEATURES)
    scaled = pipeline.named_steps["preprocess"].transform(features[list(CLUSTER_FEATURES)])
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-9)
    # monetary spans orders of magnitude; after log1p + scaling it no longer dominates
    assert scaled.std(axis=0).max() < 1.0 + 1e-9
    assert len(set(pipeline.predict(features))) == 4


def test_planted_archetypes_recovered(planted):
    features, truth = planted
    selection = select_model(features, SelectionConfig(), seed=42)
    labels = selection.pipeline.predict(features)
    assert adjusted_rand_score(truth, labels) >= 0.6
    assert 4 <= selection.winner.k <= 6


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


def _candidate(algorithm, k, silhouette, min_share=0.1):
    return Candidate(algorithm, k, None, silhouette, 1.0, 1.0, 1.0, min_share, 0.0)


def test_winner_rule_drops_tiny_segments_and_prefers_simpler_on_ties():
    config = SelectionConfig(min_segment_share=0.02, tie_tolerance=0.01)
    tiny = _candidate(KMEANS, 7, 0.70, min_share=0.005)
    mixture = _candidate("gaussian_mixture", 3, 0.605)
    kmeans_5 = _candidate(KMEANS, 5, 0.600)
    kmeans_4 = _candidate(KMEANS, 4, 0.596)
    far_worse = _candidate(KMEANS, 2, 0.40)
    assert choose_winner([tiny, mixture, kmeans_5, kmeans_4, far_worse], config) is kmeans_4
    assert choose_winner([tiny, far_worse], config) is far_worse
    assert choose_winner([tiny], config) is tiny  # all tiny: keep them rather than fail


def test_too_few_rows_is_a_named_error(planted):
    features, _ = planted
    with pytest.raises(ValueError, match="too few"):
        select_model(features.head(5), FAST, seed=42)
