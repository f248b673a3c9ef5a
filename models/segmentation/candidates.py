"""Sample-fitted clusterers (Ward agglomerative, DBSCAN) served by nearest centroid, and the Dunn index.

Agglomerative clustering and DBSCAN need all pairwise distances, so they are fitted on
the fixed-size evaluation sample only, never on every row. Each turns its sample labels
into one centroid per cluster; `predict` assigns any row to the nearest centroid, so the
fitted estimator drops into the logged `Pipeline` and exposes `cluster_centers_` like
KMeans (scoring distances, personas and segment-id matching work unchanged).

DBSCAN's radius `eps` is the knee of the sorted k-distance curve (k = `min_samples`): the
distance of every sample row to its k-th nearest neighbour (itself included, as DBSCAN
counts it), sorted ascending and rescaled to [0, 1] on both axes; the knee is the point
farthest below the straight chord from the first to the last point (the "Kneedle"
construction). DBSCAN's noise rows are counted (`noise_share_`); its centroids are the
means of each cluster's core samples, and serving assigns every row (noise included) to
the nearest of them, because every customer needs a segment.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors

AGGLOMERATIVE = "agglomerative"
DBSCAN_ALGORITHM = "dbscan"


def nearest_centroid(scaled: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the closest centroid for each row (squared Euclidean)."""
    scaled = np.asarray(scaled, dtype=np.float64)
    # |x|^2 is the same for every centroid, so argmin(|c|^2 - 2 x.c) is the nearest one
    # without materialising the rows x centroids x features difference array.
    scores = (centers**2).sum(axis=1)[None, :] - 2.0 * scaled @ centers.T
    return scores.argmin(axis=1)


def centroids_of(scaled: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of the rows carrying each label 0..n_clusters-1 (labels < 0 are ignored)."""
    kept = labels >= 0
    sums = np.zeros((n_clusters, scaled.shape[1]))
    np.add.at(sums, labels[kept], scaled[kept])
    counts = np.bincount(labels[kept], minlength=n_clusters)[:, None]
    return sums / np.maximum(counts, 1)


class _NearestCentroidServing(ClusterMixin, BaseEstimator):
    """Serving half shared by the sample-fitted clusterers: predict = nearest centroid."""

    cluster_centers_: np.ndarray

    def predict(self, X) -> np.ndarray:
        """Label of the nearest centroid for each row of X (scaled space)."""
        return nearest_centroid(np.asarray(X), self.cluster_centers_)


class WardOnSample(_NearestCentroidServing):
    """Ward agglomerative clustering fitted on a sample, served by nearest centroid."""

    def __init__(self, n_clusters: int = 5):
        self.n_clusters = n_clusters

    def fit(self, X, y=None) -> WardOnSample:
        """Build the Ward tree on X (keep X to a sample: memory grows with rows²) and cut it."""
        return self.fit_tree(np.asarray(X, dtype=np.float64), ward(X))

    def fit_tree(self, X: np.ndarray, tree: np.ndarray) -> WardOnSample:
        """Cut an already built Ward linkage of X at `n_clusters` (selection builds it once)."""
        labels = fcluster(tree, t=self.n_clusters, criterion="maxclust") - 1
        self.n_clusters_ = int(labels.max()) + 1
        self.labels_ = labels
        self.cluster_centers_ = centroids_of(X, labels, self.n_clusters_)
        return self


def k_distances(X: np.ndarray, k: int) -> np.ndarray:
    """Distance of every row to its k-th nearest row (the row itself counts as the first)."""
    k = min(k, len(X))
    distances, _ = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(X)
    return distances[:, -1]


def knee_of_curve(values: np.ndarray) -> float:
    """The knee of an increasing curve: the point farthest below its first-to-last chord.

    Both axes are rescaled to [0, 1] so the knee does not depend on units.
    """
    curve = np.sort(np.asarray(values, dtype=np.float64))
    if len(curve) < 3 or curve[-1] == curve[0]:
        return float(curve[-1])
    x = np.linspace(0.0, 1.0, len(curve))
    y = (curve - curve[0]) / (curve[-1] - curve[0])
    # the chord from (0, 0) to (1, 1) is y = x; a convex curve lies below it
    return float(curve[int(np.argmax(x - y))])


class DensityOnSample(_NearestCentroidServing):
    """DBSCAN fitted on a sample with eps from the k-distance knee, served by nearest centroid.

    min_samples: DBSCAN's core-point count (None = twice the number of features, the
    usual rule of thumb for DBSCAN's MinPts); eps: fixed radius (None = the knee).
    """

    def __init__(self, min_samples: int | None = None, eps: float | None = None):
        self.min_samples = min_samples
        self.eps = eps

    def fit(self, X, y=None) -> DensityOnSample:
        """Find eps, run DBSCAN on X and keep one centroid per cluster (of its core samples)."""
        X = np.asarray(X, dtype=np.float64)
        min_samples = self.min_samples or 2 * X.shape[1]
        self.eps_ = float(self.eps) if self.eps else knee_of_curve(k_distances(X, min_samples))
        fitted = DBSCAN(eps=max(self.eps_, 1e-12), min_samples=min_samples).fit(X)
        labels = fitted.labels_
        self.labels_ = labels
        self.n_clusters_ = int(labels.max()) + 1
        self.noise_share_ = float((labels < 0).mean())
        core = np.full(len(X), -1)
        core[fitted.core_sample_indices_] = labels[fitted.core_sample_indices_]
        if self.n_clusters_ == 0:
            # all noise: one centroid, so the estimator still predicts (it cannot win selection)
            self.cluster_centers_ = X.mean(axis=0, keepdims=True)
        else:
            self.cluster_centers_ = centroids_of(X, core, self.n_clusters_)
        return self


def separation_scores(X: np.ndarray, labels: np.ndarray, chunk_rows: int = 512) -> tuple[float, float]:
    """(silhouette, Dunn index) of a labelling, from one chunked pass over all pairwise distances.

    Silhouette as scikit-learn defines it (0 for a point alone in its cluster). Dunn: the
    smallest distance between points of two different clusters over the largest cluster
    diameter (inf when every cluster is a single point). With fewer than two clusters
    both are undefined: returns (-1.0, 0.0). Cost grows with rows², memory with
    chunk_rows × rows: keep X to the evaluation sample.
    """
    X = np.asarray(X, dtype=np.float64)
    clusters, index = np.unique(np.asarray(labels), return_inverse=True)
    k = len(clusters)
    if k < 2:
        return -1.0, 0.0
    # Rows sorted by cluster make every cluster a contiguous column block, so per-cluster
    # sums, minima and maxima are single `reduceat` calls instead of k boolean-mask copies.
    order = np.argsort(index, kind="stable")
    X, index = X[order], index[order]
    sizes = np.bincount(index, minlength=k)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    sums, nearest, farthest = (np.empty((len(X), k)) for _ in range(3))
    for low in range(0, len(X), chunk_rows):
        block = euclidean_distances(X[low : low + chunk_rows], X)
        rows = slice(low, low + len(block))
        sums[rows] = np.add.reduceat(block, starts, axis=1)
        nearest[rows] = np.minimum.reduceat(block, starts, axis=1)
        farthest[rows] = np.maximum.reduceat(block, starts, axis=1)
    own = np.arange(len(X)), index
    within = sums[own] / np.maximum(sizes[index] - 1, 1)
    between = sums / sizes
    between[own] = np.inf
    other = between.min(axis=1)
    silhouette = np.where(sizes[index] > 1, (other - within) / np.maximum(within, other), 0.0)
    separation = np.minimum.reduceat(nearest, starts, axis=0)
    np.fill_diagonal(separation, np.inf)
    diameter = farthest[own].max()
    dunn = float("inf") if diameter == 0 else float(separation.min() / diameter)
    return float(np.nan_to_num(silhouette).mean()), dunn


def dunn_index(X: np.ndarray, labels: np.ndarray) -> float:
    """Smallest between-cluster distance over the largest cluster diameter (see separation_scores)."""
    return separation_scores(X, labels)[1]
