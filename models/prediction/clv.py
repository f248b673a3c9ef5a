"""Lifetime value: BG/NBD (purchases and P(alive)) and Gamma-Gamma (spend per purchase) from PyMC-Marketing.

Both are fitted by maximum a posteriori (`method="map"`, seconds even at 1M customers) on the
buy-till-you-die summary of `models.prediction.snapshot.btyd_summary`: one transaction per
purchase day, in days. The fitted parameters are all a model is; `CustomerValueModel` (an
MLflow pyfunc) carries them and rebuilds the library's models around any customers to
predict, so no customer row is stored with the registered model.

Evaluation is calibration / holdout: fit on the summary as of V = L - horizon, predict the
purchases and spend of (V, L], compare with what each customer did.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import arviz as az
import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.prediction.churn import InsufficientHistoryError
from models.prediction.evaluation import normalized_gini, value_decile_table

log = logging.getLogger(__name__)

BTYD_INPUTS: tuple[str, ...] = ("frequency", "recency", "T", "monetary_value")
MIN_REPEAT_BUYERS = 20
ORDERS_DAYS = 90  # expected_orders_90d
CLV_MONTHS = 12  # predicted_clv_12m
OUTPUTS: tuple[str, ...] = ("p_alive", "expected_orders_90d", "expected_spend_per_order", "predicted_clv_12m")


def _library():
    # PyMC-Marketing imports PyMC and PyTensor (seconds); only the CLV code pays for it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    return BetaGeoModel, GammaGammaModel


def _with_ids(summary: pd.DataFrame) -> pd.DataFrame:
    data = summary[list(BTYD_INPUTS)].astype("float64").reset_index(drop=True)
    data.insert(0, "customer_id", np.arange(len(data)))
    return data


def _spend_data(data: pd.DataFrame) -> pd.DataFrame:
    # Gamma-Gamma on every purchase day (the first included): with only repeat purchases, a
    # one-time buyer's expected spend is the population mean, which heavy-tailed spend
    # (q < 1) makes infinite. Net spend can be negative (returns): floored at a penny.
    return data.assign(
        frequency=data["frequency"] + 1, monetary_value=data["monetary_value"].clip(lower=0.01)
    )


def _map_parameters(model) -> dict[str, float]:
    return {
        name: float(np.asarray(model.idata.posterior[name]).ravel()[0])
        for name in model.idata.posterior.data_vars
    }


@dataclass(frozen=True)
class ValueParameters:
    """MAP parameters of the BG/NBD and Gamma-Gamma models."""

    purchases: dict[str, float]
    spend: dict[str, float]

    def as_metrics(self) -> dict[str, float]:
        """Parameters as MLflow metrics (`bgnbd_r`, `gamma_gamma_p`, ...)."""
        return {f"bgnbd_{k}": v for k, v in self.purchases.items()} | {
            f"gamma_gamma_{k}": v for k, v in self.spend.items()
        }


def fit_value_models(summary: pd.DataFrame, seed: int) -> ValueParameters:
    """Fit BG/NBD on every buyer and Gamma-Gamma on every buyer with positive spend, by MAP."""
    beta_geo, gamma_gamma = _library()
    data = _with_ids(summary)
    repeaters = int((data["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        raise InsufficientHistoryError(
            f"lifetime value needs {MIN_REPEAT_BUYERS} or more repeat buyers; found {repeaters}"
        )
    spenders = _spend_data(data)[data["monetary_value"].to_numpy() > 0].reset_index(drop=True)
    np.random.seed(seed)  # the optimiser starts from the model's initial point; seeded for repeatability
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = beta_geo(data=data)
        purchases.fit(method="map", progressbar=False)
        spend = gamma_gamma(data=spenders)
        spend.fit(method="map", progressbar=False)
    return ValueParameters(_map_parameters(purchases), _map_parameters(spend))


def _restore(model_class, parameters: dict[str, float], data: pd.DataFrame):
    model = model_class(data=data)
    model.build_model()
    model.idata = az.from_dict(posterior={k: np.array([[v]]) for k, v in parameters.items()})
    return model


def predict_value(
    parameters: ValueParameters, summary: pd.DataFrame, horizon_days: int = ORDERS_DAYS
) -> pd.DataFrame:
    """P(alive), expected purchases in `horizon_days`, expected spend per purchase and 12-month value.

    Rows align with `summary`'s; the 12-month value is undiscounted.
    """
    beta_geo, gamma_gamma = _library()
    data = _with_ids(summary)
    if data.empty:
        return pd.DataFrame(columns=list(OUTPUTS), dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = _restore(beta_geo, parameters.purchases, data)
        spend_data = _spend_data(data)
        spend = _restore(gamma_gamma, parameters.spend, spend_data)
        per_order = np.asarray(spend.expected_customer_spend(data=spend_data)).ravel()
        value = spend.expected_customer_lifetime_value(
            transaction_model=purchases,
            data=spend_data,
            future_t=CLV_MONTHS,
            discount_rate=0.0,
            time_unit="D",
        )
        return pd.DataFrame(
            {
                "p_alive": np.asarray(purchases.expected_probability_alive(data=data)).ravel(),
                "expected_orders_90d": np.asarray(
                    purchases.expected_purchases(data=data, future_t=horizon_days)
                ).ravel(),
                "expected_spend_per_order": per_order,
                "predicted_clv_12m": np.asarray(value).ravel(),
            }
        )


def holdout_evaluation(
    parameters: ValueParameters, calibration: pd.DataFrame, outcomes: pd.DataFrame, horizon_days: int
) -> tuple[dict[str, float], pd.DataFrame, np.ndarray]:
    """Predicted against actual purchase days and spend in the holdout, per customer.

    calibration: the summary as of the holdout's start; outcomes: `future_outcomes` of the same
    customers in the same order. Returns (metrics, decile table of spend, predicted spend).
    """
    predicted = predict_value(parameters, calibration, horizon_days)
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
    }
    return metrics, table, spend


def permutation_importance_value(
    parameters: ValueParameters,
    calibration: pd.DataFrame,
    actual_spend: np.ndarray,
    horizon_days: int,
    seed: int,
) -> pd.DataFrame:
    """Drop in holdout normalized Gini when each input is shuffled (global importance of the value model)."""
    rng = np.random.default_rng(seed)

    def gini(frame: pd.DataFrame) -> float:
        p = predict_value(parameters, frame, horizon_days)
        return normalized_gini(
            actual_spend, (p["expected_orders_90d"] * p["expected_spend_per_order"]).to_numpy()
        )

    base = gini(calibration)
    rows = []
    for column in BTYD_INPUTS:
        shuffled = calibration.copy()
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
        rows.append({"feature": column, "importance": base - gini(shuffled)})
    return pd.DataFrame(rows).sort_values("importance", ascending=False, ignore_index=True)


class CustomerValueModel(mlflow.pyfunc.PythonModel):
    """The registered lifetime-value model: BG/NBD + Gamma-Gamma MAP parameters; predicts `OUTPUTS`."""

    def __init__(self, purchases: dict[str, float], spend: dict[str, float]) -> None:
        self.purchases = dict(purchases)
        self.spend = dict(spend)

    @property
    def parameters(self) -> ValueParameters:
        """The fitted parameters."""
        return ValueParameters(self.purchases, self.spend)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:  # noqa: ARG002
        """Predictions for rows with the `BTYD_INPUTS` columns."""
        return predict_value(self.parameters, pd.DataFrame(model_input))
