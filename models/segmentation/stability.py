"""How stable a segmentation is: across refits when choosing a model, and across nights in production.

Refit stability (model selection): a candidate is refitted on seeded subsamples of the
evaluation sample and every refit labels the whole sample; the stability is the mean adjusted
Rand index over all pairs of refits (see `models.segmentation.selection`).

Production stability (scoring): besides the ARI between tonight's and the previous night's
assignments, the share of customers whose segment changed although their features did not
change materially: every model input moved by less than `MATERIAL_CHANGE` standard
deviations (the model's scaled space). Those customers moved because the model or its
boundaries moved, not because they behaved differently: the churn a marketer would call
noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

from models.features import KEY_COLUMN
from models.segmentation.candidates import WardOnSample
from models.segmentation.pipeline import KMEANS, MINIBATCH_KMEANS, build_clusterer

#: A customer whose every scaled input moved less than this "did not change materially".
MATERIAL_CHANGE = 0.25


def stability_subsamples(sample_rows: int, refits: int, fraction: float, seed: int) -> list[np.ndarray]:
    """`refits` seeded subsamples of `fraction` of the evaluation sample (positions within it)."""
    size = max(2, int(round(fraction * sample_rows)))
    return [
        np.sort(np.random.default_rng([seed, refit]).choice(sample_rows, size, replace=False))
        for refit in range(refits)
    ]


def refit_stability(
    algorithm: str,
    k: int,
    sample_scaled: np.ndarray,
    subsamples: list[np.ndarray],
    seed: int,
    n_init: int = 4,
    min_samples: int | None = None,
    ward_trees: list[np.ndarray] | None = None,
) -> float:
    """Mean pairwise ARI between refits on `subsamples`, each labelling the whole sample (module doc).

    n_init, min_samples: as the candidate was built; ward_trees: the Ward linkage of each
    subsample, shared by every k.
    """
    if len(subsamples) < 2:
        return 1.0
    family = KMEANS if algorithm == MINIBATCH_KMEANS else algorithm
    labels = []
    for refit, rows in enumerate(subsamples):
        clusterer = build_clusterer(family, k, seed + 1 + refit, n_init, min_samples)
        if isinstance(clusterer, WardOnSample) and ward_trees is not None:
            clusterer.fit_tree(sample_scaled[rows], ward_trees[refit])
        else:
            clusterer.fit(sample_scaled[rows])
        labels.append(clusterer.predict(sample_scaled))
    pairs = [(a, b) for a in range(len(labels)) for b in range(a + 1, len(labels))]
    return float(np.mean([adjusted_rand_score(labels[a], labels[b]) for a, b in pairs]))


def unchanged_but_moved(
    current: pd.DataFrame, previous: pd.DataFrame, preprocess: Pipeline, features: list[str]
) -> tuple[float | None, int]:
    """(share whose segment changed, customers) among customers whose inputs did not change materially.

    current / previous: KEY_COLUMN, segment_id and the model inputs `features`, one row per
    ML-segmented customer. Both are scaled with the current model's `preprocess`.
    None when no customer kept its features on both dates.
    """
    both = current.merge(previous, on=KEY_COLUMN, suffixes=("", "_previous"))
    if both.empty:
        return None, 0
    now = preprocess.transform(both[features])
    before = preprocess.transform(both[[f"{f}_previous" for f in features]].set_axis(features, axis=1))
    steady = np.abs(now - before).max(axis=1) < MATERIAL_CHANGE
    if not steady.any():
        return None, 0
    moved = both["segment_id"].to_numpy()[steady] != both["segment_id_previous"].to_numpy()[steady]
    return float(moved.mean()), int(steady.sum())
