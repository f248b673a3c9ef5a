"""Model selection: fit candidate clusterers and pick one by a fixed rule.

Candidates: KMeans (MiniBatchKMeans above `minibatch_threshold` rows) and Gaussian
mixtures for every k in the range, Ward agglomerative clustering for every k (fitted on
the evaluation sample, one tree cut at each k), and one DBSCAN (fitted on the sample; it
finds its own number of segments). See `models.segmentation.candidates` for how the sample-fitted
ones are served to every row.

Silhouette and the Dunn index are quadratic in rows, so every candidate is scored on one
fixed-size, seeded evaluation sample (the same rows for all candidates), with the labels
it serves (nearest centroid for the sample-fitted ones). Davies-Bouldin and
Calinski-Harabasz come from the same sample; inertia (the elbow) and segment shares from
the full data.

Selection rule (`choose_winner`):
1. Candidates with fewer than two segments cannot win (a DBSCAN that found one cluster
   is logged but never chosen).
2. Drop candidates whose smallest segment holds less than `min_segment_share` of the
   customers (a segment marketing cannot act on), unless that drops them all.
3. Take the best silhouette among the rest; every candidate within `tie_tolerance` of it
   counts as tied.
4. Among the tied, prefer the simpler model: the KMeans family, then Ward
   agglomerative, then Gaussian mixtures, then DBSCAN; then fewer segments, then the
   higher silhouette, then the name (so the rule is a total order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import ward
from sklearn.base import BaseEstimator
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from models.features import KEY_COLUMN, evaluation_sample_index
from models.segmentation.candidates import WardOnSample, separation_scores
from models.segmentation.pipeline import (
    AGGLOMERATIVE,
    CLUSTER_FEATURES,
    DBSCAN,
    GAUSSIAN_MIXTURE,
    KMEANS,
    MINIBATCH_KMEANS,
    SAMPLE_FITTED,
    assemble_pipeline,
    build_clusterer,
    build_preprocessor,
    cluster_centers,
)


@dataclass(frozen=True)
class SelectionConfig:
    """Knobs of model selection; every field is logged as an MLflow param."""

    k_min: int = 2
    k_max: int = 8
    algorithms: tuple[str, ...] = (KMEANS, AGGLOMERATIVE, GAUSSIAN_MIXTURE, DBSCAN)
    sample_size: int = 5000
    minibatch_threshold: int = 200_000
    max_threads: int | None = 1
    mixture_fit_rows: int = 50_000
    n_init: int = 4
    dbscan_min_samples: int | None = None
    min_segment_share: float = 0.02
    tie_tolerance: float = 0.01
    features: tuple[str, ...] = CLUSTER_FEATURES

    def as_params(self) -> dict[str, object]:
        """Flat dict for `mlflow.log_params`."""
        return {
            "k_min": self.k_min,
            "k_max": self.k_max,
            "algorithms": ",".join(self.algorithms),
            "sample_size": self.sample_size,
            "minibatch_threshold": self.minibatch_threshold,
            "max_threads": str(self.max_threads),
            "mixture_fit_rows": self.mixture_fit_rows,
            "n_init": self.n_init,
            "dbscan_min_samples": str(self.dbscan_min_samples),
            "min_segment_share": self.min_segment_share,
            "tie_tolerance": self.tie_tolerance,
            "features": ",".join(self.features),
        }


@dataclass
class Candidate:
    """One fitted clusterer and its scores."""

    algorithm: str
    k: int
    clusterer: BaseEstimator = field(repr=False)
    silhouette: float
    davies_bouldin: float
    calinski_harabasz: float
    inertia: float
    min_segment_share: float
    fit_seconds: float
    dunn: float = 0.0
    noise_share: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.algorithm}_k{self.k}"

    def metrics(self) -> dict[str, float]:
        """Scores for `mlflow.log_metrics`."""
        return {
            "silhouette": self.silhouette,
            "davies_bouldin": self.davies_bouldin,
            "calinski_harabasz": self.calinski_harabasz,
            "inertia": self.inertia,
            "min_segment_share": self.min_segment_share,
            "fit_seconds": self.fit_seconds,
            "dunn": self.dunn,
            "noise_share": self.noise_share,
        }


@dataclass
class Selection:
    """Everything selection produced: the fitted preprocessor, the sample and candidates."""

    preprocess: Pipeline
    sample_index: np.ndarray
    sample_scaled: np.ndarray
    candidates: list[Candidate]
    winner: Candidate

    @property
    def pipeline(self) -> Pipeline:
        """The winning preprocessing + clusterer pipeline (fitted)."""
        return assemble_pipeline(self.preprocess, self.winner.clusterer)


def sample_silhouette(scaled_sample: np.ndarray, labels: np.ndarray) -> float:
    """Silhouette on the evaluation sample; -1 when it holds fewer than two segments."""
    return separation_scores(scaled_sample, labels)[0]


def _inertia(clusterer: BaseEstimator, scaled: np.ndarray, labels: np.ndarray) -> float:
    if hasattr(clusterer, "inertia_"):
        return float(clusterer.inertia_)
    centers = cluster_centers(clusterer)
    return float(((scaled - centers[labels]) ** 2).sum())


def _fit(
    algorithm: str,
    k: int,
    scaled: np.ndarray,
    sample: np.ndarray,
    config: SelectionConfig,
    seed: int,
    ward_tree: np.ndarray | None,
) -> BaseEstimator:
    clusterer = build_clusterer(algorithm, k, seed, config.n_init, config.dbscan_min_samples)
    if isinstance(clusterer, WardOnSample) and ward_tree is not None:
        return clusterer.fit_tree(scaled[sample], ward_tree)
    if algorithm in SAMPLE_FITTED:
        return clusterer.fit(scaled[sample])
    if algorithm == GAUSSIAN_MIXTURE and len(scaled) > config.mixture_fit_rows:
        rows = np.random.default_rng(seed).choice(len(scaled), config.mixture_fit_rows, replace=False)
        return clusterer.fit(scaled[np.sort(rows)])
    return clusterer.fit(scaled)


def fit_candidate(
    algorithm: str,
    k: int,
    scaled: np.ndarray,
    sample: np.ndarray,
    config: SelectionConfig,
    seed: int,
    ward_tree: np.ndarray | None = None,
) -> Candidate:
    """Fit one clusterer and score the labels it serves on the evaluation sample.

    KMeans becomes MiniBatchKMeans above `config.minibatch_threshold` rows; the
    agglomerative and DBSCAN candidates are fitted on the sample rows only (ward_tree:
    the sample's Ward linkage, shared by every k). DBSCAN's k is what it finds.
    """
    if algorithm == KMEANS and len(scaled) > config.minibatch_threshold:
        algorithm = MINIBATCH_KMEANS
    started = time.perf_counter()
    clusterer = _fit(algorithm, k, scaled, sample, config, seed, ward_tree)
    fit_seconds = time.perf_counter() - started
    k = len(cluster_centers(clusterer))
    labels = clusterer.predict(scaled)
    sample_scaled, sample_labels = scaled[sample], labels[sample]
    several = len(np.unique(sample_labels)) > 1
    silhouette, dunn = separation_scores(sample_scaled, sample_labels)
    return Candidate(
        algorithm=algorithm,
        k=k,
        clusterer=clusterer,
        silhouette=silhouette,
        davies_bouldin=float(davies_bouldin_score(sample_scaled, sample_labels)) if several else float("inf"),
        calinski_harabasz=float(calinski_harabasz_score(sample_scaled, sample_labels)) if several else 0.0,
        inertia=_inertia(clusterer, scaled, labels),
        min_segment_share=float(np.bincount(labels, minlength=k).min() / len(labels)),
        fit_seconds=round(fit_seconds, 3),
        dunn=dunn,
        noise_share=float(getattr(clusterer, "noise_share_", 0.0)),
    )


_FAMILY_RANK = {KMEANS: 0, MINIBATCH_KMEANS: 0, AGGLOMERATIVE: 1, GAUSSIAN_MIXTURE: 2, DBSCAN: 3}


def choose_winner(candidates: list[Candidate], config: SelectionConfig) -> Candidate:
    """Apply the module's documented selection rule; pure given the candidates' scores."""
    servable = [c for c in candidates if c.k >= 2]
    if not servable:
        raise ValueError("no candidate found two or more segments")
    eligible = [c for c in servable if c.min_segment_share >= config.min_segment_share] or servable
    best = max(c.silhouette for c in eligible)
    tied = [c for c in eligible if c.silhouette >= best - config.tie_tolerance]
    return min(tied, key=lambda c: (_FAMILY_RANK.get(c.algorithm, 9), c.k, -c.silhouette, c.name))


def _candidate_grid(config: SelectionConfig) -> list[tuple[str, int]]:
    grid: list[tuple[str, int]] = []
    for algorithm in config.algorithms:
        # DBSCAN finds its own number of segments: one candidate, whatever the k range
        ks = [0] if algorithm == DBSCAN else range(config.k_min, config.k_max + 1)
        grid += [(algorithm, k) for k in ks]
    return grid


class TooFewCustomersError(ValueError):
    """The feature table has too few customers to choose a segmentation."""


def min_rows(config: SelectionConfig) -> int:
    """The fewest customers model selection works with: two per segment of the largest k."""
    return max(config.k_max, 2) * 2


def select_model(frame: pd.DataFrame, config: SelectionConfig, seed: int) -> Selection:
    """Fit the preprocessor once, then every candidate (see the module doc), and choose the winner."""
    if len(frame) < min_rows(config):
        raise TooFewCustomersError(
            f"{len(frame)} customers are too few to select among up to {config.k_max} segments "
            f"(at least {min_rows(config)})"
        )
    inputs = frame[list(config.features)]
    preprocess = build_preprocessor(config.features).fit(inputs)
    scaled = preprocess.transform(inputs)
    sample = evaluation_sample_index(frame[KEY_COLUMN], config.sample_size, seed)
    # One Ward tree on the sample serves every k (cutting it is cheap, building it is not).
    tree = ward(scaled[sample]) if AGGLOMERATIVE in config.algorithms else None
    # OpenMP/BLAS threads cost more than they save here: MiniBatchKMeans works on small
    # batches and workers share cores with other tasks (measured 5x slower with 2 threads
    # on a busy 2-core machine, at 1,500 and at 1,000,000 rows). None = every core.
    with threadpool_limits(limits=config.max_threads):
        candidates = [
            fit_candidate(algorithm, k, scaled, sample, config, seed, tree)
            for algorithm, k in _candidate_grid(config)
        ]
    return Selection(
        preprocess=preprocess,
        sample_index=sample,
        sample_scaled=scaled[sample],
        candidates=candidates,
        winner=choose_winner(candidates, config),
    )
