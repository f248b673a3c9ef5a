"""The scikit-learn pipeline that is trained, logged and scored: preprocessing + clusterer.

Preprocessing lives inside the logged pipeline (rates shrunk by their exposure, then
log1p of heavy-tailed columns, then standard scaling), so consumers of
`models:/customer_segmentation@champion` feed raw `marts.customer_features` columns and get
cluster labels back.

Inputs (`CLUSTER_FEATURES`), chosen by one principle and never by a score on one dataset:
one column per behavioural dimension of the customer, only dimensions that an active source
stands behind (`customer_platform.feature_sources`), and no column that is a function of
columns already in (standard scaling gives every column equal weight, so a dimension
measured twice would count twice). The dimensions and their columns:

| dimension | column | why not the others |
|---|---|---|
| how lately | `recency_days` | `r_score` is its quintile |
| how often | `frequency` | `f_score` is its quintile |
| how much per order | `avg_order_value` | `monetary` is frequency x basket; `m_score` its quintile |
| how long a customer | `tenure_days` | |
| web activity | `sessions` | `product_views`, `add_to_carts` follow sessions |
| email responsiveness | `email_open_rate` | `email_click_rate` follows opens |
| where they buy | `share_main_channel` | one channel: 1 for every buyer, so it adds no distance |

Left out as not the customer's behaviour: `emails_sent` (the business's send volume; it is an
input only as the exposure behind the open rate), `days_since_last_engagement` and
`engagement_score` (blends of the columns above), the category shares (what a product
category means, e.g. a discount outlet, is the business's vocabulary, not a dimension the
platform can know), demographics (they describe segments in the profile but do not shape
them) and `return_rate` (a share of a handful of order lines for most customers: it moves by
whole tenths on one return, which is noise, not a trait). Every column stays in the segment
profile.

A rate is only as good as the exposure behind it (`RateShrinkage`, fitted inside the
pipeline): the open rate of a customer sent three emails is mostly noise, and of a customer
sent none it is unknown, not zero. Each rate is shrunk toward the population's rate by how
little exposure stands behind it (empirical Bayes, the prior weighing as much as a typical
customer's exposure). Treated as zero, "never emailed" would look like "never opens" and
split customers on whether the email tool knows them.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from models.features import LOG_FEATURES
from models.segmentation.candidates import AGGLOMERATIVE, DBSCAN_ALGORITHM, DensityOnSample, WardOnSample

KMEANS = "kmeans"
MINIBATCH_KMEANS = "minibatch_kmeans"
GAUSSIAN_MIXTURE = "gaussian_mixture"
DBSCAN = DBSCAN_ALGORITHM
ALGORITHMS = (KMEANS, MINIBATCH_KMEANS, GAUSSIAN_MIXTURE, AGGLOMERATIVE, DBSCAN)
#: Fitted on the evaluation sample only (their cost grows with rows squared).
SAMPLE_FITTED = (AGGLOMERATIVE, DBSCAN)

#: Inputs of the segmentation model (its MLflow signature); see the module doc for the choice.
CLUSTER_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "avg_order_value",
    "tenure_days",
    "sessions",
    "email_open_rate",
    "share_main_channel",
)

#: Rate column -> the exposure count behind it: with no exposure the rate is unknown.
RATE_EXPOSURES: dict[str, str] = {"email_open_rate": "emails_sent", "email_click_rate": "emails_sent"}


def model_inputs(features: tuple[str, ...]) -> tuple[str, ...]:
    """The pipeline's input columns: the cluster features, then the exposures their rates need."""
    exposures = [RATE_EXPOSURES[f] for f in features if f in RATE_EXPOSURES]
    return tuple(dict.fromkeys([*features, *(e for e in exposures if e not in features)]))


class RateShrinkage(TransformerMixin, BaseEstimator):
    """Shrink each rate toward the population's by how little exposure stands behind it.

    rate' = (rate x exposure + w x prior) / (exposure + w): the empirical-Bayes estimate of a
    rate seen over `exposure` trials, with the prior the median rate of the exposed rows and
    the prior's weight w the median exposure of the exposed rows (a typical customer's
    evidence counts as much as the prior). No exposure gives the prior itself (unknown, not
    zero); a long history keeps its own rate. rates: (rate column, exposure column) pairs;
    other columns pass unchanged. Works on DataFrames (the pipeline's input), returns a copy.
    """

    def __init__(self, rates: tuple[tuple[str, str], ...] = ()):
        self.rates = rates

    def fit(self, X, y=None) -> RateShrinkage:
        """Learn each rate's prior (median rate) and weight (median exposure) over exposed rows."""
        priors, weights = {}, {}
        for rate, exposure in self.rates:
            exposed = X.loc[X[exposure] > 0]
            priors[rate] = float(exposed[rate].median()) if len(exposed) else 0.0
            weights[rate] = float(exposed[exposure].median()) if len(exposed) else 1.0
        self.priors_, self.weights_ = priors, weights
        return self

    def transform(self, X):
        """A copy of X with every rate shrunk toward its prior."""
        X = X.copy()
        for rate, exposure in self.rates:
            trials = X[exposure].clip(lower=0).astype("float64")
            weight, prior = self.weights_[rate], self.priors_[rate]
            X[rate] = (X[rate].astype("float64") * trials + weight * prior) / (trials + weight)
        return X

    def get_feature_names_out(self, input_features=None):
        """Column names pass through unchanged."""
        return np.asarray(input_features if input_features is not None else [], dtype=object)


def build_preprocessor(
    features: tuple[str, ...] = CLUSTER_FEATURES, log_features: tuple[str, ...] = LOG_FEATURES
) -> Pipeline:
    """Shrink rates by their exposure, log1p the heavy-tailed columns, pass the bounded ones, standard-scale all.

    The fitted preprocessor takes `model_inputs(features)` and returns `features`, scaled.
    """
    rates = tuple((f, RATE_EXPOSURES[f]) for f in features if f in RATE_EXPOSURES)
    logged = [c for c in features if c in log_features]
    passed = [c for c in features if c not in log_features]
    # np.log1p / np.expm1 are numpy ufuncs: skops serialises them without custom trusted types.
    log1p = FunctionTransformer(
        np.log1p, inverse_func=np.expm1, check_inverse=False, feature_names_out="one-to-one"
    )
    columns = ColumnTransformer(
        [("log1p", log1p, logged), ("passthrough", "passthrough", passed)],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline([("rates", RateShrinkage(rates)), ("columns", columns), ("scale", StandardScaler())])


def centroid_space(preprocess: Pipeline) -> Pipeline:
    """The preprocessor without the rate step: maps cluster-feature rows (centroids) to scaled space."""
    return preprocess[1:]


def build_clusterer(
    algorithm: str, k: int, seed: int, n_init: int = 4, min_samples: int | None = None
) -> BaseEstimator:
    """A seeded clusterer; `algorithm` is one of ALGORITHMS.

    k is ignored by DBSCAN (it finds its own number of segments); min_samples is DBSCAN's only.
    """
    if algorithm == KMEANS:
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    if algorithm == MINIBATCH_KMEANS:
        return MiniBatchKMeans(n_clusters=k, n_init=n_init, batch_size=4096, random_state=seed)
    if algorithm == GAUSSIAN_MIXTURE:
        return GaussianMixture(n_components=k, covariance_type="diag", n_init=2, random_state=seed)
    if algorithm == AGGLOMERATIVE:
        return WardOnSample(n_clusters=k)
    if algorithm == DBSCAN:
        return DensityOnSample(min_samples=min_samples)
    raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")


def build_pipeline(
    k: int,
    algorithm: str = KMEANS,
    seed: int = 42,
    features: tuple[str, ...] = CLUSTER_FEATURES,
    n_init: int = 4,
) -> Pipeline:
    """Unfitted preprocessing + clusterer pipeline with `k` segments."""
    return Pipeline(
        [
            ("preprocess", build_preprocessor(features)),
            ("cluster", build_clusterer(algorithm, k, seed, n_init)),
        ]
    )


def assemble_pipeline(preprocess: Pipeline, clusterer: BaseEstimator) -> Pipeline:
    """Join an already fitted preprocessor and clusterer (selection fits them separately)."""
    return Pipeline([("preprocess", preprocess), ("cluster", clusterer)])


def cluster_centers(clusterer: BaseEstimator) -> np.ndarray:
    """Centroids of a fitted clusterer in the scaled feature space, one row per label."""
    if hasattr(clusterer, "cluster_centers_"):
        return np.asarray(clusterer.cluster_centers_)
    if hasattr(clusterer, "means_"):
        return np.asarray(clusterer.means_)
    raise TypeError(f"{type(clusterer).__name__} exposes no centroids")


def centers_in_original_units(preprocess: Pipeline, centers: np.ndarray) -> np.ndarray:
    """Map scaled centroids back through the scaler and the log1p, column order = inputs."""
    scaler: StandardScaler = preprocess.named_steps["scale"]
    columns: ColumnTransformer = preprocess.named_steps["columns"]
    unscaled = scaler.inverse_transform(centers)
    names = list(columns.get_feature_names_out())
    logged = set(columns.transformers_[0][2])
    original = np.column_stack(
        [np.expm1(unscaled[:, i]) if name in logged else unscaled[:, i] for i, name in enumerate(names)]
    )
    return original


def transformed_feature_names(preprocess: Pipeline) -> list[str]:
    """Column names of the scaled space, in order."""
    return list(preprocess.named_steps["columns"].get_feature_names_out())
