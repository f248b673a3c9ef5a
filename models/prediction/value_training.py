"""Train the lifetime-value model: holdout evaluation, charts in MLflow, register `customer_clv`.

Fit BG/NBD + Gamma-Gamma on the summary as of V = L - horizon and compare predicted with actual
purchases and spend in (V, L] per customer (MAE, normalized Gini, decile calibration), once per
candidate (`models.prediction.clv`): `btyd`, and `btyd_churn_evidence` and `btyd_peer_groups`
with the probabilities of the churn version trained in the same run (its labels end on or
before V, so it saw nothing of the holdout; the peer groups are found on the summary as of V). The candidate with the lower holdout spend MAE is registered as validated
(experiment `customer_clv`): its population parameters are applied to each customer's summary
as of the scoring date. The first version becomes champion, later ones are promoted by
`should_promote_value`, both scored on the challenger's holdout, which no earlier version was
fitted on. The reference bins stored with a version are those of its inputs over the buyers as of
L (the population it is registered to score), not of the summary as of V it was fitted on: ages
and recencies as of V are a horizon younger than on any scoring night, by construction.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import mlflow
import numpy as np
import pandas as pd

from models.prediction.churn import ObservationPlan, predict_churn
from models.prediction.clv import (
    BTYD_INPUTS,
    CHURN_INPUT,
    VALUE_CANDIDATES,
    CustomerValueModel,
    ValueParameters,
    fit_value_models,
)
from models.prediction.decision import explain_lowest, log_decision
from models.prediction.evaluation import plot_value_deciles
from models.prediction.promotion_rule import should_promote_value
from models.prediction.registered_models import CHURN_MODEL, CLV_EXPERIMENT, CLV_MODEL, CLV_PACKAGES
from models.prediction.registered_models import describe_prediction_version as describe_version
from models.prediction.snapshot import KEY, btyd_summary, customer_snapshot, future_outcomes
from models.prediction.value_evaluation import holdout_evaluation, permutation_importance_value
from models.promotion import apply_promotion, decide_promotion
from models.registry import (
    CHAMPION,
    alias_version,
    load_model_metadata,
    load_pipeline,
    load_python_model,
    log_and_register_pyfunc,
    resolve_model_version,
)
from models.tracking import configure_mlflow

WHY_SPEND_MAE = (
    "Spend MAE measures the money the model predicts against what each customer spent in the holdout."
)


@dataclass(frozen=True)
class ValueTrainResult:
    """What a lifetime-value training produced."""

    run_id: str
    model_version: str
    metrics: dict[str, float]
    is_champion: bool
    decision: str
    customers: int
    candidate: str = ""

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return self.__dict__ | {"metrics": {k: round(v, 4) for k, v in self.metrics.items()}}


def churn_probability_as_of(
    con: duckdb.DuckDBPyConnection, churn_version: str, customers: pd.Series, as_of
) -> np.ndarray:
    """The churn probability of registered `customer_churn` version `churn_version` for `customers`, as of a date."""
    version = resolve_model_version(f"models:/{CHURN_MODEL}/{churn_version}")
    features = list(load_model_metadata(version)["features"])
    snapshot = customer_snapshot(con, as_of)
    snapshot = snapshot.assign(**{CHURN_INPUT: predict_churn(load_pipeline(version), snapshot, features)})
    aligned = pd.DataFrame({KEY: customers.to_numpy()}).merge(
        snapshot[[KEY, CHURN_INPUT]], on=KEY, how="left", validate="one_to_one"
    )
    return aligned[CHURN_INPUT].to_numpy(dtype=float)


def value_inputs_as_of(con: duckdb.DuckDBPyConnection, as_of, churn_version: str | None) -> pd.DataFrame:
    """The value model's inputs for every buyer as of a date (with the churn probability when it takes one)."""
    summary = btyd_summary(con, as_of)
    inputs = summary[list(BTYD_INPUTS)].reset_index(drop=True)
    if churn_version is not None:
        inputs[CHURN_INPUT] = churn_probability_as_of(con, churn_version, summary[KEY], as_of)
    return inputs


def _champion_gini(
    calibration: pd.DataFrame, outcomes: pd.DataFrame, horizon_days: int, churn: np.ndarray
) -> float | None:
    champion = alias_version(CHAMPION, CLV_MODEL)
    if champion is None:
        return None
    parameters: ValueParameters = load_python_model(champion).parameters
    return holdout_evaluation(parameters, calibration, outcomes, horizon_days, churn)[0]["normalized_gini"]


def _candidates_table(evaluated: dict[str, dict[str, float]], chosen: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"candidate": name, "chosen": name == chosen, **metrics} for name, metrics in evaluated.items()]
    )


def train_value(
    con: duckdb.DuckDBPyConnection, plan: ObservationPlan, horizon_days: int, seed: int, promote: bool,
    churn_version: str,
) -> ValueTrainResult:  # fmt: skip
    """Fit as of the holdout's start, evaluate each candidate on the holdout, log, register, promote.

    churn_version: the `customer_churn` version trained for the same plan (its probabilities as
    of V feed the churn-evidence candidate).
    """
    experiment_id = configure_mlflow(CLV_EXPERIMENT)
    calibration = btyd_summary(con, plan.validation_date)
    outcomes = future_outcomes(con, calibration[KEY], plan.validation_date, horizon_days)
    churn = churn_probability_as_of(con, churn_version, calibration[KEY], plan.validation_date)
    started = time.perf_counter()
    fitted = fit_value_models(calibration, seed)
    fit_seconds = time.perf_counter() - started
    evaluated = {
        name: holdout_evaluation(fitted.as_candidate(name, horizon_days), calibration, outcomes, horizon_days, churn)
        for name in VALUE_CANDIDATES
    }  # fmt: skip
    chosen = min(VALUE_CANDIDATES, key=lambda name: (evaluated[name][0]["spend_mae"], name))
    parameters = fitted.as_candidate(chosen, horizon_days)
    metrics, deciles, _ = evaluated[chosen]
    metrics = metrics | {"fit_seconds": fit_seconds}
    importance = permutation_importance_value(
        parameters, calibration, outcomes["future_spend"].to_numpy(float), horizon_days, seed, churn
    )
    champion_gini = _champion_gini(calibration, outcomes, horizon_days, churn)
    rule = (
        should_promote_value(metrics["normalized_gini"], champion_gini) if champion_gini is not None else None
    )
    decision = decide_promotion(rule, allowed=promote)
    day = plan.logical_date.isoformat()
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-clv-{day}") as run:
        mlflow.set_tags({"logical_date": day, "job": "train", "model": CLV_MODEL})
        mlflow.log_params(
            {
                "seed": seed,
                "logical_date": day,
                "holdout_start": plan.validation_date.isoformat(),
                "holdout_days": horizon_days,
                "purchase_model": "BG/NBD (pymc_marketing.clv.BetaGeoModel, MAP)",
                "chosen_candidate": chosen,
                "selection_rule": "lowest holdout spend MAE",
                "churn_model_version": churn_version,
                "spend_model": "Gamma-Gamma (pymc_marketing.clv.GammaGammaModel, MAP)",
                "transaction_unit": "purchase day",
                "peer_groups": len(fitted.peer_groups),
                "customers": len(calibration),
                "repeat_buyers": int((calibration["frequency"] > 0).sum()),
                "clv_months": 12,
                "discount_rate": 0.0,
            }
        )
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)} | parameters.as_metrics())
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            deciles.to_csv(out / "value_deciles.csv", index=False)
            plot_value_deciles(
                deciles, out / "value_deciles.png", f"Holdout spend by predicted decile ({chosen})"
            )
            _candidates_table({k: v[0] for k, v in evaluated.items()}, chosen).to_csv(
                out / "candidates.csv", index=False
            )
            importance.to_csv(out / "permutation_importance.csv", index=False)
            (out / "parameters.json").write_text(
                json.dumps(parameters.__dict__, indent=2),
                encoding="utf-8",
            )
            mlflow.log_artifacts(tmp, artifact_path="report")
        scores = {name: result[0] for name, result in evaluated.items()}
        log_decision(explain_lowest(scores, "spend_mae", chosen, WHY_SPEND_MAE))
        inputs = calibration[list(BTYD_INPUTS)].head(200).reset_index(drop=True)
        names = list(BTYD_INPUTS)
        if parameters.uses_churn:
            inputs[CHURN_INPUT] = churn[: len(inputs)]
            names.append(CHURN_INPUT)
        metadata = {
            "inputs": names, "logical_date": day, "holdout_metrics": metrics, "candidate": chosen,
            "churn_model_version_at_training": churn_version,
        }  # fmt: skip
        reference = value_inputs_as_of(
            con, plan.logical_date, churn_version if parameters.uses_churn else None
        )
        version = log_and_register_pyfunc(
            CustomerValueModel(parameters),
            inputs,
            CustomerValueModel(parameters).predict(None, inputs),
            CLV_MODEL,
            metadata,
            CLV_PACKAGES,
            reference=reference,
        )
        if champion_gini is not None:
            mlflow.log_metric("champion_normalized_gini", champion_gini)
        mlflow.log_metric("promoted", float(decision.promote))
        mlflow.set_tags({"promotion_decision": decision.reason, "model_version": version})
    apply_promotion(CLV_MODEL, version, decision)
    facts = {"chosen": chosen, "logical_date": day, "rows": len(calibration), "features": ",".join(names)}
    describe_version(
        CLV_MODEL, version, facts | {"churn_model_version": churn_version, "run_id": run.info.run_id}
    )
    return ValueTrainResult(
        run.info.run_id, version, metrics, decision.promote, decision.reason, len(calibration), chosen
    )
