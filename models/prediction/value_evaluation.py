"""Holdout evaluation of the lifetime-value candidates: per-customer errors, Gini, deciles, importance.

Predicted against actual purchase days and spend of (V, V + horizon] for the customers of the
summary as of V (`models.prediction.clv.predict_value`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.prediction.clv import BTYD_INPUTS, CHURN_INPUT, ValueParameters, predict_value
from models.prediction.evaluation import normalized_gini, value_decile_table


def holdout_evaluation(
    parameters: ValueParameters,
    calibration: pd.DataFrame,
    outcomes: pd.DataFrame,
    horizon_days: int,
    churn_probability: np.ndarray | None = None,
) -> tuple[dict[str, float], pd.DataFrame, np.ndarray]:
    """Predicted against actual purchase days and spend in the holdout, per customer.

    calibration: the summary as of the holdout's start; outcomes: `future_outcomes` of the same
    customers in the same order; churn_probability: the churn model's, as of the holdout's start
    (the churn-evidence candidate). Returns (metrics, decile table of spend, predicted spend).
    """
    predicted = predict_value(parameters, calibration, horizon_days, churn_probability)
    spend = (predicted["expected_orders_90d"] * predicted["expected_spend_per_order"]).to_numpy()
    actual_spend = outcomes["future_spend"].to_numpy(dtype=float)
    actual_orders = outcomes["future_purchase_days"].to_numpy(dtype=float)
    table = value_decile_table(actual_spend, spend)
    metrics = {
        "holdout_customers": float(len(spend)),
        "orders_mae": float(np.mean(np.abs(predicted["expected_orders_90d"].to_numpy() - actual_orders))),
        "orders_predicted_total": float(predicted["expected_orders_90d"].sum()),
        "orders_actual_total": float(actual_orders.sum()),
        "spend_mae": float(np.mean(np.abs(spend - actual_spend))),
        "spend_predicted_total": float(spend.sum()),
        "spend_actual_total": float(actual_spend.sum()),
        "normalized_gini": normalized_gini(actual_spend, spend),
        "max_decile_relative_error": float(table["relative_error"].abs().max()),
        "deciles_within_20pct": float((table["relative_error"].abs() <= 0.2).sum()),
    }
    return metrics, table, spend


def permutation_importance_value(
    parameters: ValueParameters,
    calibration: pd.DataFrame,
    actual_spend: np.ndarray,
    horizon_days: int,
    seed: int,
    churn_probability: np.ndarray | None = None,
) -> pd.DataFrame:
    """Drop in holdout normalized Gini when each input is shuffled (global importance of the value model)."""
    rng = np.random.default_rng(seed)
    frame = calibration[list(BTYD_INPUTS)].reset_index(drop=True)
    if parameters.uses_churn:
        frame = frame.assign(**{CHURN_INPUT: np.asarray(churn_probability, dtype=float)})

    def gini(inputs: pd.DataFrame) -> float:
        churn = inputs[CHURN_INPUT].to_numpy() if parameters.uses_churn else None
        p = predict_value(parameters, inputs, horizon_days, churn)
        return normalized_gini(
            actual_spend, (p["expected_orders_90d"] * p["expected_spend_per_order"]).to_numpy()
        )

    base = gini(frame)
    rows = []
    for column in frame.columns:
        shuffled = frame.copy()
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
        rows.append({"feature": column, "importance": base - gini(shuffled)})
    return pd.DataFrame(rows).sort_values("importance", ascending=False, ignore_index=True)
