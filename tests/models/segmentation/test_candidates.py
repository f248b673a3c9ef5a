"""Sample-fitted candidates (Ward, DBSCAN), the Dunn index and the winner rule across families."""

from __future__ import annotations

import numpy as np
import pytest
import skops.io
from sklearn.metrics import silhouette_score

from models.registry import skops_trusted_types
from models.segmentation.candidates import (
    DensityOnSample,
    WardOnSample,
    dunn_index,
    k_distances,
    knee_of_curve,
    nearest_centroid,
    separation_scores,
)
from models.segmentation.pipeline import (
    AGGLOMERATIVE,
    CLUSTER_FEATURES,
    DBSCAN,
    GAUSSIAN_MIXTURE,
    KMEANS,
    assemble_pipeline,
    build_preprocessor,
    centroid_space,
    model_inputs,
)
from models.segmentation.selection import Candidate, SelectionConfig, choose_winner, fit_candidate


@pytest.fixture(scope="module")
def blobs():
    """Three tight, far-apart 2-D blobs of 60 points and four isolated outliers."""
    rng = np.random.default_rng(3)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.vstack([c + rng.normal(0, 0.3, (60, 2)) for c in centers])
    outliers = np.array([[5.0, 5.0], [-6.0, -6.0], [12.0, 12.0], [-6.0, 14.0]])
    return np.vstack([points, outliers]), np.repeat([0, 1, 2], 60)


def test_knee_is_where_a_flat_curve_turns_steep():
    flat = np.linspace(1.0, 1.2, 90)
    steep = np.linspace(3.0, 12.0, 10)
    curve = np.random.default_rng(0).permutation(np.concatenate([flat, steep]))
    assert knee_of_curve(curve) == pytest.approx(1.2)
    assert knee_of_curve(np.full(5, 2.0)) == 2.0  # no knee on a constant curve


def test_dbscan_eps_from_the_knee_separates_blobs_and_reports_noise(blobs):
    points, truth = blobs
    within = k_distances(points[:180], 4).max()
    fitted = DensityOnSample(min_samples=4).fit(points)
    # the knee lands between the blobs' own k-distances and the gaps to the outliers
    assert within * 0.5 <= fitted.eps_ < 3.0
    assert fitted.n_clusters_ == 3
    assert fitted.labels_[-4:].tolist() == [-1, -1, -1, -1]
    assert fitted.noise_share_ == pytest.approx(4 / len(points))
    labels = fitted.predict(points)
    assert labels.min() >= 0  # serving gives noise rows a segment too
    assert len(set(zip(truth, labels[:180], strict=True))) == 3  # one blob, one label
    assert fitted.predict(np.array([[9.0, 1.0]]))[0] == labels[60]  # nearest centroid: blob 1


def test_dbscan_that_finds_no_cluster_still_predicts(blobs):
    points, _ = blobs
    fitted = DensityOnSample(min_samples=4, eps=1e-6).fit(points)
    assert fitted.n_clusters_ == 0 and fitted.noise_share_ == 1.0
    assert set(fitted.predict(points)) == {0}


def test_dunn_index_by_hand():
    # clusters {0, 1} and {5, 7} on a line: closest pair across is 1..5 = 4, widest is 5..7 = 2
    points = np.array([[0.0], [1.0], [5.0], [7.0]])
    assert dunn_index(points, np.array([0, 0, 1, 1])) == pytest.approx(2.0)
    # {0, 5} and {1, 7}: closest pair across is 0..1 = 1, widest is 1..7 = 6
    assert dunn_index(points, np.array([0, 1, 0, 1])) == pytest.approx(1 / 6)
    assert dunn_index(points, np.zeros(4, dtype=int)) == 0.0


def test_one_pass_silhouette_matches_scikit_learn(blobs):
    points, _ = blobs
    labels = np.random.default_rng(1).integers(0, 4, len(points))
    labels[0] = 9  # a singleton cluster scores 0, as in scikit-learn
    silhouette, _ = separation_scores(points, labels, chunk_rows=50)
    assert silhouette == pytest.approx(silhouette_score(points, labels), abs=1e-9)


@pytest.fixture(scope="module")
def scaled_planted(planted):
    features, _ = planted
    inputs = features[list(model_inputs(CLUSTER_FEATURES))]
    preprocess = build_preprocessor().fit(inputs)
    return preprocess, preprocess.transform(inputs)


def test_ward_fits_on_the_sample_and_serves_every_row(planted, scaled_planted):
    features, _ = planted
    preprocess, scaled = scaled_planted
    sample = np.arange(0, len(scaled), 5)  # 300 of 1,500 rows
    candidate = fit_candidate(AGGLOMERATIVE, 5, scaled, sample, SelectionConfig(), seed=42)
    ward = candidate.clusterer
    assert isinstance(ward, WardOnSample) and len(ward.labels_) == len(sample)
    assert candidate.k == 5 and ward.cluster_centers_.shape == (5, len(CLUSTER_FEATURES))
    pipeline = assemble_pipeline(preprocess, ward)
    labels = pipeline.predict(features)
    assert len(labels) == len(features) and set(labels) == set(range(5))
    np.testing.assert_array_equal(labels, nearest_centroid(scaled, ward.cluster_centers_))
    assert candidate.dunn > 0 and candidate.noise_share == 0.0
    # the logged model is saved with skops: our estimator must be a trusted type and round-trip
    trusted = skops_trusted_types(pipeline)
    assert sorted(trusted) == [
        "models.segmentation.candidates.WardOnSample",
        "models.segmentation.pipeline.RateShrinkage",
    ]
    loaded = skops.io.loads(skops.io.dumps(pipeline), trusted=trusted)
    np.testing.assert_array_equal(loaded.predict(features), labels)


def test_dbscan_is_one_candidate_with_its_own_k(scaled_planted):
    _, scaled = scaled_planted
    sample = np.arange(0, len(scaled), 3)
    candidate = fit_candidate(DBSCAN, 0, scaled, sample, SelectionConfig(), seed=42)
    assert candidate.k == len(candidate.clusterer.cluster_centers_)
    assert candidate.clusterer.eps_ > 0
    assert 0.0 <= candidate.noise_share < 1.0
    assert "noise_share" in candidate.metrics() and "dunn" in candidate.metrics()


def _candidate(algorithm, k, silhouette, min_share=0.1):
    return Candidate(algorithm, k, None, silhouette, 1.0, 1.0, 1.0, min_share, 0.0)


def test_winner_rule_orders_the_new_families():
    # equal scores at two decimals: the family order decides (Ward, mixtures, then DBSCAN)
    config = SelectionConfig(min_segment_share=0.02, score_decimals=2)
    lone_dbscan = _candidate(DBSCAN, 1, 0.90)  # one segment: logged, never chosen
    dbscan = _candidate(DBSCAN, 3, 0.700)
    mixture = _candidate(GAUSSIAN_MIXTURE, 3, 0.701)
    ward = _candidate(AGGLOMERATIVE, 4, 0.698)
    kmeans = _candidate(KMEANS, 5, 0.60)
    assert choose_winner([lone_dbscan, dbscan, mixture, ward, kmeans], config) is ward
    assert choose_winner([lone_dbscan, dbscan, mixture], config) is mixture
    assert choose_winner([lone_dbscan, dbscan], config) is dbscan
    tied_kmeans = _candidate(KMEANS, 6, 0.699)
    assert choose_winner([dbscan, mixture, ward, tied_kmeans], config) is tied_kmeans
    with pytest.raises(ValueError, match="two or more segments"):
        choose_winner([lone_dbscan], config)


def test_versions_registered_under_the_old_module_path_still_load(planted, scaled_planted, monkeypatch):
    # Versions registered before the move name `models.candidates.WardOnSample` in their skops
    # file and trusted types; the `models.candidates` alias module keeps them loadable.
    features, _ = planted
    preprocess, scaled = scaled_planted
    # those versions had no rate imputation step either
    pipeline = assemble_pipeline(centroid_space(preprocess), WardOnSample(n_clusters=4).fit(scaled[::5]))
    with monkeypatch.context() as patch:
        patch.setattr(WardOnSample, "__module__", "models.candidates")
        old_file = skops.io.dumps(pipeline)
    assert skops.io.get_untrusted_types(data=old_file) == ["models.candidates.WardOnSample"]
    loaded = skops.io.loads(old_file, trusted=["models.candidates.WardOnSample"])
    assert isinstance(loaded.named_steps["cluster"], WardOnSample)
    np.testing.assert_array_equal(loaded.predict(features), pipeline.predict(features))
