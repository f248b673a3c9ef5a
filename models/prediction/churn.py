"""Churn: labelled point-in-time datasets, the candidate classifiers, time-split validation, selection.

Observation dates (horizon H, logical date L): validation at V = L - H (labels from (V, L]),
training at V - H, V - H - step, ... so that every training label window ends on or before V:
nothing the validation labels see is known to training. The chosen candidate is registered as
validated and scores as of L (its newest labels are one horizon old: the price of a model
whose quality was measured on data it never saw). Candidates are calibrated
(`CalibratedClassifierCV`): their probabilities are used as probabilities (At-Risk above 0.70).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from models.features import evaluation_sample_index
from models.prediction.evaluation import classification_metrics
from models.prediction.snapshot import KEY, customer_snapshot, first_purchase_date, future_outcomes

CANDIDATES = ("hist_gradient_boosting", "random_forest")


class InsufficientHistoryError(LookupError):
    """Too little history to learn from: too short for a time split, or too few customers."""


#: Customers needed in each class (churned, stayed) on the training dates to fit and calibrate.
MIN_CUSTOMERS_PER_CLASS = 20


@dataclass(frozen=True)
class ChurnConfig:
    """How the churn datasets are cut and the candidates fitted."""

    horizon_days: int = 90
    features: tuple[str, ...] = ()
    training_dates: int = 4  # observation dates before the validation date, `step_days` apart
    step_days: int = 30
    min_history_days: int = 60  # purchases needed before the earliest observation date
    max_rows_per_date: int = 50_000  # seeded, stable sample per observation date above this
    candidates: tuple[str, ...] = CANDIDATES
    calibration_folds: int = 3
    extra: dict[str, object] = field(default_factory=dict)

    def as_params(self) -> dict[str, object]:
        """MLflow parameters."""
        return {
            "horizon_days": self.horizon_days,
            "features": ",".join(self.features),
            "training_dates": self.training_dates,
            "step_days": self.step_days,
            "min_history_days": self.min_history_days,
            "max_rows_per_date": self.max_rows_per_date,
            "candidates": ",".join(self.candidates),
            "calibration_folds": self.calibration_folds,
        }


@dataclass(frozen=True)
class ObservationPlan:
    """The validation date and the training dates (newest first) for one logical date."""

    logical_date: dt.date
    validation_date: dt.date
    training_dates: tuple[dt.date, ...]


def plan_observation_dates(
    logical_date: dt.date, earliest_purchase: dt.date | None, config: ChurnConfig
) -> ObservationPlan:
    """Observation dates whose label windows end on or before the validation date; pure.

    Raises InsufficientHistoryError (naming the dates) when not one training date has
    `min_history_days` of purchases before it.
    """
    horizon = dt.timedelta(days=config.horizon_days)
    validation = logical_date - horizon
    candidates = [
        validation - horizon - dt.timedelta(days=config.step_days * j) for j in range(config.training_dates)
    ]
    floor = (
        None if earliest_purchase is None else earliest_purchase + dt.timedelta(days=config.min_history_days)
    )
    usable = tuple(d for d in candidates if floor is not None and d >= floor)
    if not usable:
        first = earliest_purchase.isoformat() if earliest_purchase else "none"
        raise InsufficientHistoryError(
            f"churn needs purchases from {config.min_history_days} days before {candidates[0]} "
            f"(2 x horizon {config.horizon_days} days before {logical_date}); first purchase: {first}"
        )
    return ObservationPlan(logical_date, validation, usable)


def labelled_snapshot(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: ChurnConfig, seed: int
) -> pd.DataFrame:
    """Features as of `as_of` with the churn label and future spend of (as_of, as_of + horizon]."""
    features = customer_snapshot(con, as_of)
    if len(features) > config.max_rows_per_date:
        features = features.iloc[
            evaluation_sample_index(features[KEY], config.max_rows_per_date, seed)
        ].reset_index(drop=True)
    labels = future_outcomes(con, features[KEY], as_of, config.horizon_days)
    return features.merge(labels, on=KEY, how="left")


def build_candidate(name: str, seed: int, folds: int) -> Pipeline:
    """A calibrated candidate pipeline by name (`CANDIDATES`).

    Isotonic calibration on out-of-fold predictions (`folds`) of one model fitted on all rows
    (`ensemble=False`): one tree model to explain, at the cost of a single fit more.
    """
    if name == "hist_gradient_boosting":
        model = HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=False, random_state=seed,
        )  # fmt: skip
        steps = [("model", model)]
    elif name == "random_forest":
        model = RandomForestClassifier(
            n_estimators=150, max_depth=10, min_samples_leaf=20, max_features=0.5, n_jobs=2, random_state=seed
        )
        steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("model", model)]
    else:
        raise ValueError(f"unknown churn candidate {name!r}; known: {', '.join(CANDIDATES)}")
    return Pipeline(
        [("classifier", CalibratedClassifierCV(Pipeline(steps), method="isotonic", cv=folds, ensemble=False))]
    )


@dataclass
class ChurnCandidate:
    """One fitted candidate and its validation metrics."""

    name: str
    pipeline: Pipeline
    metrics: dict[str, float]
    probability: np.ndarray


def features_with_data(
    train: pd.DataFrame, features: Sequence[str]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The features that vary in the training rows, and those left out with why.

    A source can start later than the order history (a clickstream added last month): its
    features are null on the older observation dates, and a model cannot learn from them.
    """
    kept, left_out = [], {}
    for feature in features:
        column = train[feature]
        if column.isna().all():
            left_out[feature] = "null on every training observation date (no data that early)"
        elif column.nunique(dropna=True) < 2:
            left_out[feature] = "constant on every training observation date"
        else:
            kept.append(feature)
    return tuple(kept), left_out


def fit_candidates(
    train: pd.DataFrame, validation: pd.DataFrame, config: ChurnConfig, seed: int
) -> list[ChurnCandidate]:
    """Fit each candidate on `train`, score it on `validation`."""
    x_train, y_train = train[list(config.features)], train["churned"].to_numpy()
    x_valid, y_valid = validation[list(config.features)], validation["churned"].to_numpy()
    counts = np.bincount(y_train.astype(int), minlength=2)
    if counts.min() < MIN_CUSTOMERS_PER_CLASS:
        raise InsufficientHistoryError(
            f"churn needs {MIN_CUSTOMERS_PER_CLASS} customers who churned and {MIN_CUSTOMERS_PER_CLASS} who stayed "
            f"on the training dates; found {counts[1]} and {counts[0]}"
        )
    fitted = []
    for name in config.candidates:
        pipeline = build_candidate(name, seed, config.calibration_folds).fit(x_train, y_train)
        probability = pipeline.predict_proba(x_valid)[:, 1]
        fitted.append(
            ChurnCandidate(name, pipeline, classification_metrics(y_valid, probability), probability)
        )
    return fitted


def choose_candidate(candidates: Sequence[ChurnCandidate]) -> ChurnCandidate:
    """The candidate with the lowest validation log loss (a proper score: ranking and calibration)."""
    return min(candidates, key=lambda c: (c.metrics["log_loss"], c.name))


def predict_churn(pipeline: Pipeline, frame: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Churn probabilities of a fitted pipeline for the rows of `frame`."""
    return pipeline.predict_proba(frame[list(features)])[:, 1]


def first_purchase(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The warehouse's first purchase day (re-exported for the training module)."""
    return first_purchase_date(con)
