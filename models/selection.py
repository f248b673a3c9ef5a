"""Model selection: fit candidate clusterers over a k range and pick one by a fixed rule.

Silhouette is quadratic in rows, so every candidate is scored on one fixed-size, seeded
evaluation sample (the same rows for all candidates). Davies-Bouldin and
Calinski-Harabasz come from the same sample; inertia (the elbow) from the full data.

Selection rule (`choose_winner`):
1. Drop candidates whose smallest segment holds less than `min_segment_share` of the
   customers (a segment marketing cannot act on), unless that drops them all.
2. Take the best silhouette among the rest; every candidate within `tie_tolerance` of it
   counts as tied.
3. Among the tied, prefer the simpler model: the KMeans family before Gaussian
   mixtures, then fewer segments, then the higher silhouette.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from models.features import CLUSTER_FEATURES, KEY_COLUMN, evaluation_sample_index
from models.pipeline import (
    GAUSSIAN_MIXTURE,
    KMEANS,
    MINIBATCH_KMEANS,
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
    algorithms: tuple[str, ...] = (KMEANS, GAUSSIAN_MIXTURE)
    sample_size: int = 5000
    minibatch_threshold: int = 200_000
    max_threads: int | None = 1
    mixture_fit_rows: int = 50_000
    n_init: int = 4
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
    if len(np.unique(labels)) < 2:
        return -1.0
    return float(silhouette_score(scaled_sample, labels))


def _inertia(clusterer: BaseEstimator, scaled: np.ndarray, labels: np.ndarray) -> float:
    if hasattr(clusterer, "inertia_"):
        return float(clusterer.inertia_)
    centers = cluster_centers(clusterer)
    return float(((scaled - centers[labels]) ** 2).sum())


def fit_candidate(
    algorithm: str, k: int, scaled: np.ndarray, sample: np.ndarray, config: SelectionConfig, seed: int
) -> Candidate:
    """Fit one clusterer on the scaled rows and score it on the evaluation sample."""
    if algorithm == KMEANS and len(scaled) > config.minibatch_threshold:
        algorithm = MINIBATCH_KMEANS
    clusterer = build_clusterer(algorithm, k, seed, config.n_init)
    started = time.perf_counter()
    if algorithm == GAUSSIAN_MIXTURE and len(scaled) > config.mixture_fit_rows:
        rows = np.random.default_rng(seed).choice(len(scaled), config.mixture_fit_rows, replace=False)
        clusterer.fit(scaled[np.sort(rows)])
    else:
        clusterer.fit(scaled)
    fit_seconds = time.perf_counter() - started
    labels = clusterer.predict(scaled)
    sample_labels = labels[sample]
    several = len(np.unique(sample_labels)) > 1
    return Candidate(
        algorithm=algorithm,
        k=k,
        clusterer=clusterer,
        silhouette=sample_silhouette(scaled[sample], sample_labels),
        davies_bouldin=float(davies_bouldin_score(scaled[sample], sample_labels))
        if several
        else float("inf"),
        calinski_harabasz=float(calinski_harabasz_score(scaled[sample], sample_labels)) if several else 0.0,
        inertia=_inertia(clusterer, scaled, labels),
        min_segment_share=float(np.bincount(labels, minlength=k).min() / len(labels)),
        fit_seconds=round(fit_seconds, 3),
    )


_FAMILY_RANK = {KMEANS: 0, MINIBATCH_KMEANS: 0, GAUSSIAN_MIXTURE: 1}


def choose_winner(candidates: list[Candidate], config: SelectionConfig) -> Candidate:
    """Apply the module's documented selection rule; pure given the candidates' scores."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    eligible = [c for c in candidates if c.min_segment_share >= config.min_segment_share] or candidates
    best = max(c.silhouette for c in eligible)
    tied = [c for c in eligible if c.silhouette >= best - config.tie_tolerance]
    return min(tied, key=lambda c: (_FAMILY_RANK.get(c.algorithm, 9), c.k, -c.silhouette))


def select_model(frame: pd.DataFrame, config: SelectionConfig, seed: int) -> Selection:
    """Fit the preprocessor once, then every (algorithm, k) candidate, and choose the winner."""
    if len(frame) < max(config.k_max, 2) * 2:
        raise ValueError(f"{len(frame)} rows are too few to select among up to {config.k_max} segments")
    inputs = frame[list(config.features)]
    preprocess = build_preprocessor(config.features).fit(inputs)
    scaled = preprocess.transform(inputs)
    sample = evaluation_sample_index(frame[KEY_COLUMN], config.sample_size, seed)
    # OpenMP/BLAS threads cost more than they save here: MiniBatchKMeans works on small
    # batches and workers share cores with other tasks (measured 5x slower with 2 threads
    # on a busy 2-core machine, at 1,500 and at 1,000,000 rows). None = every core.
    with threadpool_limits(limits=config.max_threads):
        candidates = [
            fit_candidate(algorithm, k, scaled, sample, config, seed)
            for algorithm in config.algorithms
            for k in range(config.k_min, config.k_max + 1)
        ]
    return Selection(
        preprocess=preprocess,
        sample_index=sample,
        sample_scaled=scaled[sample],
        candidates=candidates,
        winner=choose_winner(candidates, config),
    )
