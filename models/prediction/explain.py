"""Explanations a marketer can read: global permutation importance, and per at-risk customer the
three features that push their churn risk up most (SHAP values of the tree model).

SHAP values are computed on the calibrated model's one tree model (in its log-odds or vote
share); calibration is monotone, so a feature that raises the trees' score raises the probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from models.prediction.snapshot import KEY

TOP_DRIVERS = 3
#: Exact tree SHAP costs about rows x tree nodes x depth^2 operations (measured on 2 cores:
#: 6 ms a row for a 150-tree random forest of depth 10, 0.07 ms for the gradient boosting
#: candidate). Above this budget (about half a minute) tree SHAP's fast approximation is used
#: (Saabas: the contributions along each row's own decision paths, `approximate=True`).
EXACT_SHAP_BUDGET = 1e11
IMPORTANCE_ROWS = 20_000  # permutation importance on a seeded sample of the validation rows

#: Plain-language names of the churn features (what a marketer reads next to a customer).
FEATURE_LABELS: dict[str, str] = {
    "recency_days": "Days since the last purchase",
    "tenure_days": "Days since the first purchase",
    "purchases": "Purchases ever",
    "purchases_90d": "Purchases in the last 90 days",
    "purchases_prior_90d": "Purchases in the 90 days before that",
    "purchases_365d": "Purchases in the last year",
    "net_spend_365d": "Spend in the last year",
    "avg_order_value": "Average order value",
    "days_between_purchases": "Usual days between purchases",
    "recency_to_cadence": "Quiet time compared with their usual rhythm",
    "return_rate": "Share of orders cancelled or returned",
    "sessions_30d": "Website visits in the last 30 days",
    "sessions_90d": "Website visits in the last 90 days",
    "days_since_last_session": "Days since the last website visit",
    "emails_sent_90d": "Emails sent to them in the last 90 days",
    "email_open_rate_90d": "Share of emails opened in the last 90 days",
    "days_since_last_email_open": "Days since they last opened an email",
}


def feature_label(feature: str) -> str:
    """The plain-language name of a feature (its column name when it has none)."""
    return FEATURE_LABELS.get(feature, feature.replace("_", " "))


def churn_permutation_importance(
    pipeline: Pipeline, frame: pd.DataFrame, features: list[str], seed: int
) -> pd.DataFrame:
    """Mean drop in validation ROC-AUC when each feature is shuffled (3 repeats, seeded)."""
    rows = frame.sample(n=min(len(frame), IMPORTANCE_ROWS), random_state=seed)
    result = permutation_importance(
        pipeline, rows[features], rows["churned"], scoring="roc_auc", n_repeats=3, random_state=seed
    )
    table = pd.DataFrame(
        {
            "feature": features,
            "label": [feature_label(f) for f in features],
            "importance": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    return table.sort_values("importance", ascending=False, ignore_index=True)


def shap_method(rows: int, nodes: int, depth: int) -> str:
    """`exact` tree SHAP while rows x nodes x depth^2 stays within `EXACT_SHAP_BUDGET`, else `approximate`."""
    return "exact" if rows * nodes * max(depth, 1) ** 2 <= EXACT_SHAP_BUDGET else "approximate"


def _tree_shap(fold_pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    import shap  # heavy import (numba), only when explaining

    model = fold_pipeline.steps[-1][1]
    transformed = fold_pipeline[:-1].transform(x) if len(fold_pipeline.steps) > 1 else x.to_numpy()
    explainer = shap.TreeExplainer(model)
    ensemble = explainer.model
    method = shap_method(len(x), int(np.sum(ensemble.num_nodes)), int(ensemble.max_depth))
    values = explainer.shap_values(
        np.asarray(transformed, dtype=float), check_additivity=False, approximate=method == "approximate"
    )
    values = np.asarray(values[1] if isinstance(values, list) else values)
    return values[..., 1] if values.ndim == 3 else values


def churn_shap_values(pipeline: Pipeline, x: pd.DataFrame) -> np.ndarray:
    """SHAP values (rows x features) of the churn class (averaged over calibration folds, if several)."""
    calibrated = pipeline.named_steps["classifier"]
    if not isinstance(calibrated, CalibratedClassifierCV):
        raise TypeError(f"expected a calibrated classifier, got {type(calibrated).__name__}")
    folds = [c.estimator for c in calibrated.calibrated_classifiers_]
    return np.mean([_tree_shap(fold, x) for fold in folds], axis=0)


def _format(value: float) -> str:
    if np.isnan(value):
        return "unknown"
    return f"{value:.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2f}"


def top_drivers(
    customers: pd.DataFrame, shap_values: np.ndarray, features: list[str], typical: pd.Series
) -> pd.DataFrame:
    """The `TOP_DRIVERS` features raising each customer's risk most, with plain-language text.

    customers: rows aligned with `shap_values` (KEY and the features); typical: each feature's
    median over everyone scored, shown beside the customer's own value.
    """
    n = shap_values.shape[0]
    order = np.argsort(-shap_values, axis=1, kind="stable")[:, :TOP_DRIVERS]
    row = np.repeat(np.arange(n), order.shape[1])
    column = order.ravel()
    contribution = shap_values[row, column]
    keep = contribution > 0  # only what raises the risk is a driver (ranks stay 1, 2, 3 in order)
    row, column, contribution = row[keep], column[keep], contribution[keep]
    names = np.asarray(features, dtype=object)[column]
    values = customers[features].to_numpy(dtype=float)[row, column]
    typical_values = typical[list(features)].to_numpy(dtype=float)[column]
    labels = np.asarray([feature_label(f) for f in features], dtype=object)[column]
    value_text = pd.Series(values).map(_format).to_numpy(dtype=object)
    typical_text = np.asarray([_format(float(typical[f])) for f in features], dtype=object)[column]
    return pd.DataFrame(
        {
            KEY: customers[KEY].to_numpy()[row],
            "driver_rank": np.tile(np.arange(1, order.shape[1] + 1), n)[keep],
            "feature": names,
            "driver_label": labels,
            "feature_value": values,
            "typical_value": typical_values,
            "shap_value": contribution,
            "driver_text": labels + ": " + value_text + " (typical " + typical_text + ")",
        }
    )
