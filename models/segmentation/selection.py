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

Stability: every candidate is refitted `stability_refits` times on seeded subsamples
(`stability_fraction` of the evaluation sample, drawn without replacement); each refit labels
the whole evaluation sample and the stability is the mean adjusted Rand index over all pairs
of refits. A segmentation that the same method does not reproduce on slightly different
customers is an artefact of the fit, not a structure in the data; a split along one
dominating dimension is reproduced, but so is a real structure, which is why stability
gates and the two separation scores rank.

Selection rule: `models.segmentation.winner_rule` (stability gates, silhouette and
Davies-Bouldin rank).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

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
    model_inputs,
)
from models.segmentation.stability import refit_stability, stability_subsamples
from models.segmentation.winner_rule import Candidate, pick_winner

log = logging.getLogger(__name__)


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
    stability_refits: int = 4
    stability_fraction: float = 0.8
    min_stability: float = 0.8
    score_decimals: int = 2
    features: tuple[str, ...] = CLUSTER_FEATURES

    @property
    def inputs(self) -> tuple[str, ...]:
        """The pipeline's input columns (cluster features and the exposures their rates need)."""
        return model_inputs(self.features)

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
            "stability_refits": self.stability_refits,
            "stability_fraction": self.stability_fraction,
            "min_stability": self.min_stability,
            "score_decimals": self.score_decimals,
            "features": ",".join(self.features),
            "inputs": ",".join(self.inputs),
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


def choose_winner(candidates: list[Candidate], config: SelectionConfig) -> Candidate:
    """Apply the selection rule of `models.segmentation.winner_rule` with `config`'s knobs."""
    return pick_winner(
        candidates,
        min_segment_share=config.min_segment_share,
        min_stability=config.min_stability,
        score_decimals=config.score_decimals,
    )


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
    inputs = frame[list(config.inputs)]
    preprocess = build_preprocessor(config.features).fit(inputs)
    scaled = preprocess.transform(inputs)
    sample = evaluation_sample_index(frame[KEY_COLUMN], config.sample_size, seed)
    sample_scaled = scaled[sample]
    subsamples = stability_subsamples(len(sample), config.stability_refits, config.stability_fraction, seed)
    # One Ward tree on the sample serves every k (cutting it is cheap, building it is not);
    # likewise one tree per stability subsample.
    ward_family = AGGLOMERATIVE in config.algorithms
    tree = ward(sample_scaled) if ward_family else None
    sub_trees = [ward(sample_scaled[rows]) for rows in subsamples] if ward_family else None
    # OpenMP/BLAS threads cost more than they save here: MiniBatchKMeans works on small
    # batches and workers share cores with other tasks (measured 5x slower with 2 threads
    # on a busy 2-core machine, at 1,500 and at 1,000,000 rows). None = every core.
    with threadpool_limits(limits=config.max_threads):
        candidates = []
        grid = _candidate_grid(config)
        log.info(
            "segmentation selection: %d candidates on %d customers (sample %d)",
            len(grid),
            len(frame),
            len(sample),
        )
        for algorithm, k in grid:
            candidate = fit_candidate(algorithm, k, scaled, sample, config, seed, tree)
            candidate.stability = refit_stability(
                candidate.algorithm,
                candidate.k,
                sample_scaled,
                subsamples,
                seed,
                config.n_init,
                config.dbscan_min_samples,
                sub_trees,
            )
            candidates.append(candidate)
            log.info(
                "segmentation candidate %d/%d: %s k=%d, silhouette %.3f, stability %.3f",
                len(candidates),
                len(grid),
                candidate.algorithm,
                candidate.k,
                candidate.silhouette,
                candidate.stability,
            )
    return Selection(
        preprocess=preprocess,
        sample_index=sample,
        sample_scaled=sample_scaled,
        candidates=candidates,
        winner=choose_winner(candidates, config),
    )
