"""Score every known buyer for one logical date with the champions and write the prediction tables.

Churn probability (`customer_churn@champion`) on the features as of the logical date; P(alive),
expected purchases in 90 days and the 12-month value (`customer_clv@champion`) on the BTYD
summary as of the same date (and, for the churn-evidence candidate, that churn probability); At-Risk above `CDP_AT_RISK_THRESHOLD`; value tiers by CLV decile;
the three strongest drivers of every At-Risk customer. Aliases are resolved to versions first,
so a promotion mid-run cannot mix models. Re-running a date rewrites the same rows. Each model's
scored inputs are counted per reference bin of its version into `marts.model_input_profiles`
(`customer_platform.input_profiles`), what monitoring measures drift on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import mlflow
import numpy as np
import pandas as pd

from customer_platform.config import get_settings
from customer_platform.drift import REFERENCE_BINS_KEY
from customer_platform.input_profiles import PROFILES_TABLE, write_input_profile
from customer_platform.warehouse_tables import warehouse_reader
from models.features import parse_logical_date
from models.prediction.churn import predict_churn
from models.prediction.clv import BTYD_INPUTS, CHURN_INPUT, predict_value
from models.prediction.evaluation import decile_of
from models.prediction.explain import churn_shap_values, top_drivers
from models.prediction.registered_models import CHURN_CHAMPION_URI, CHURN_EXPERIMENT, CLV_CHAMPION_URI
from models.prediction.snapshot import KEY, btyd_summary, customer_snapshot
from models.prediction.tables import risk_band, write_predictions
from models.registry import load_model_metadata, load_pipeline, load_python_model, resolve_model_version
from models.tracking import configure_mlflow

#: Published precision: the last bits of a float differ between processes (the order of a
#: parallel sum), and a re-run must write the same rows.
PROBABILITY_DECIMALS = 6
MONEY_DECIMALS = 2


@dataclass(frozen=True)
class PredictionScoreResult:
    """What a scoring wrote."""

    logical_date: str
    customers: int
    at_risk: int
    churn_model_version: str
    clv_model_version: str
    mean_churn_probability: float
    total_predicted_clv_12m: float
    rows_written: dict[str, int] = field(default_factory=dict)
    score_run_id: str = ""


@dataclass(frozen=True)
class ScoredInputs:
    """The inputs one model version scored, and the reference bins stored with it (None: none stored)."""

    model_name: str
    model_version: str
    references: dict | None
    inputs: pd.DataFrame


def predict_customers(
    logical_date: dt.date, churn_uri: str, clv_uri: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[ScoredInputs]]:
    """(prediction rows, driver rows, each model's scored inputs) for every known buyer as of `logical_date`."""
    threshold = get_settings().at_risk_threshold
    churn_version, clv_version = resolve_model_version(churn_uri), resolve_model_version(clv_uri)
    churn_metadata, clv_metadata = load_model_metadata(churn_version), load_model_metadata(clv_version)
    features = list(churn_metadata["features"])
    pipeline = load_pipeline(churn_version)
    parameters = load_python_model(clv_version).parameters
    with warehouse_reader() as con:
        snapshot = customer_snapshot(con, logical_date)
        summary = btyd_summary(con, logical_date)
    frame = snapshot.merge(summary[[KEY, *BTYD_INPUTS]], on=KEY, how="inner", validate="one_to_one")
    probability = predict_churn(pipeline, frame, features) if len(frame) else np.zeros(0)
    value = predict_value(parameters, frame, churn_probability=probability)
    frame = pd.concat([frame, value.set_index(frame.index)], axis=1)
    predictions = pd.DataFrame(
        {
            KEY: frame[KEY],
            "logical_date": logical_date,
            "churn_probability": probability.round(PROBABILITY_DECIMALS),
            "churn_risk_band": risk_band(probability, threshold),
            "is_at_risk": probability > threshold,
            "p_alive": frame["p_alive"].round(PROBABILITY_DECIMALS),
            "expected_orders_90d": frame["expected_orders_90d"].round(PROBABILITY_DECIMALS),
            "predicted_clv_12m": frame["predicted_clv_12m"].round(MONEY_DECIMALS),
            "clv_decile": decile_of(frame["predicted_clv_12m"].to_numpy()),
            "churn_model_version": int(churn_version.version),
            "churn_mlflow_run_id": churn_version.run_id,
            "clv_model_version": int(clv_version.version),
            "clv_mlflow_run_id": clv_version.run_id,
            "assigned_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),  # audit stamp only
        }
    )
    at_risk = frame[predictions["is_at_risk"].to_numpy()].reset_index(drop=True)
    shap_values = (
        churn_shap_values(pipeline, at_risk[features]) if len(at_risk) else np.zeros((0, len(features)))
    )
    drivers = top_drivers(at_risk, shap_values, features, frame[features].median())
    drivers = drivers.assign(
        logical_date=logical_date,
        churn_model_version=int(churn_version.version),
        shap_value=drivers["shap_value"].round(PROBABILITY_DECIMALS),
    )
    clv_inputs = frame[list(BTYD_INPUTS)].assign(**{CHURN_INPUT: probability})
    scored = [
        ScoredInputs(churn_version.name, str(churn_version.version), churn_metadata.get(REFERENCE_BINS_KEY),
                     frame[features]),
        ScoredInputs(clv_version.name, str(clv_version.version), clv_metadata.get(REFERENCE_BINS_KEY),
                     clv_inputs[list(clv_metadata.get("inputs", BTYD_INPUTS))]),
    ]  # fmt: skip
    return predictions, drivers, scored


def score_predictions(
    logical_date: str, churn_uri: str = CHURN_CHAMPION_URI, clv_uri: str = CLV_CHAMPION_URI
) -> PredictionScoreResult:
    """Score one logical date with the given models (default: the champions) and write back."""
    day = parse_logical_date(logical_date)
    configure_mlflow(CHURN_EXPERIMENT)
    predictions, drivers, scored = predict_customers(day, churn_uri, clv_uri)
    written = write_predictions(predictions, drivers, day)
    written[PROFILES_TABLE] = sum(
        write_input_profile(day, s.model_name, s.model_version, s.references, s.inputs) for s in scored
    )
    result = PredictionScoreResult(
        logical_date=day.isoformat(),
        customers=len(predictions),
        at_risk=int(predictions["is_at_risk"].sum()),
        churn_model_version=str(predictions["churn_model_version"].iloc[0]) if len(predictions) else "",
        clv_model_version=str(predictions["clv_model_version"].iloc[0]) if len(predictions) else "",
        mean_churn_probability=float(predictions["churn_probability"].mean())
        if len(predictions)
        else float("nan"),
        total_predicted_clv_12m=float(predictions["predicted_clv_12m"].sum()),
        rows_written=written,
    )
    return PredictionScoreResult(**(result.__dict__ | {"score_run_id": _log_score_run(result)}))


def _log_score_run(result: PredictionScoreResult) -> str:
    configure_mlflow(CHURN_EXPERIMENT)
    with mlflow.start_run(run_name=f"score-{result.logical_date}") as run:
        mlflow.set_tags({"job": "score", "logical_date": result.logical_date})
        mlflow.log_params(
            {
                "logical_date": result.logical_date,
                "churn_model_version": result.churn_model_version,
                "clv_model_version": result.clv_model_version,
            }
        )
        mlflow.log_metrics(
            {
                "customers_scored": result.customers,
                "at_risk_customers": result.at_risk,
                "at_risk_share": result.at_risk / max(result.customers, 1),
                "total_predicted_clv_12m": result.total_predicted_clv_12m,
            }
        )
        return run.info.run_id
