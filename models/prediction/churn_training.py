"""Train the churn model: time-split candidates, metrics and charts in MLflow, register `customer_churn`.

One MLflow run per training (experiment `customer_churn`) with a child run per candidate. The
chosen candidate is registered as validated (no refit on the validation date): its training
labels end on or before the validation date, so the champion of any earlier training never saw
a later challenger's validation labels and both are compared on them like for like. The first
version becomes champion, later ones are promoted by
`models.prediction.promotion_rule.should_promote_churn`.

The reference bins stored with a version (`models.registry.with_reference_bins`) are those of the
features of everyone the model would score on its logical date (the snapshot as of L), not of the
training rows: those are snapshots of dates at least two horizons earlier by design (a label needs
a future window), so they would differ from every night's scoring inputs by construction.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import mlflow
import numpy as np
import pandas as pd

from models.prediction.churn import (
    ChurnCandidate,
    ChurnConfig,
    InsufficientHistoryError,
    ObservationPlan,
    choose_candidate,
    features_with_data,
    fit_candidates,
    labelled_snapshot,
    predict_churn,
)
from models.prediction.decision import explain_lowest, log_decision
from models.prediction.evaluation import (
    calibration_table,
    classification_metrics,
    lift_table,
    plot_calibration,
    plot_lift,
)
from models.prediction.explain import churn_permutation_importance
from models.prediction.promotion_rule import should_promote_churn
from models.prediction.registered_models import CHURN_EXPERIMENT, CHURN_MODEL, PACKAGES
from models.prediction.registered_models import describe_prediction_version as describe_version
from models.prediction.snapshot import customer_snapshot
from models.promotion import PromotionDecision, apply_promotion, decide_promotion
from models.registry import (
    CHAMPION,
    OWN_TYPES,
    SKLEARN_INTERNAL_TYPES,
    alias_version,
    load_model_metadata,
    load_pipeline,
    log_and_register_model,
)
from models.tracking import configure_mlflow

WHY_LOG_LOSS = "Log loss is a proper score: it rewards both ranking and calibrated probabilities."


@dataclass(frozen=True)
class ChurnTrainResult:
    """What a churn training produced."""

    run_id: str
    model_version: str
    chosen: str
    metrics: dict[str, float]
    is_champion: bool
    decision: str
    train_rows: int
    validation_rows: int

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return self.__dict__ | {"metrics": {k: round(v, 4) for k, v in self.metrics.items()}}


@dataclass
class ChurnData:
    """Labelled snapshots: training dates stacked, and the validation date."""

    train: pd.DataFrame
    validation: pd.DataFrame


def load_churn_data(
    con: duckdb.DuckDBPyConnection, plan: ObservationPlan, config: ChurnConfig, seed: int
) -> ChurnData:
    """Labelled snapshots of every observation date of `plan`."""
    train = pd.concat(
        [labelled_snapshot(con, d, config, seed) for d in plan.training_dates], ignore_index=True
    )
    return ChurnData(train, labelled_snapshot(con, plan.validation_date, config, seed))


def _champion_metrics(validation: pd.DataFrame) -> dict[str, float] | None:
    champion = alias_version(CHAMPION, CHURN_MODEL)
    if champion is None:
        return None
    features = load_model_metadata(champion)["features"]
    if any(f not in validation for f in features):
        return {"roc_auc": float("-inf"), "brier": float("inf")}  # cannot score: replace it
    probability = predict_churn(load_pipeline(champion), validation, features)
    return classification_metrics(validation["churned"].to_numpy(), probability)


def _write_artifacts(
    out: Path, chosen: ChurnCandidate, candidates: list[ChurnCandidate], data: ChurnData, importance: pd.DataFrame,
    facts: dict[str, Any],
) -> None:  # fmt: skip
    y = data.validation["churned"].to_numpy()
    calibration = calibration_table(y, chosen.probability)
    lift = lift_table(y, chosen.probability)
    calibration.to_csv(out / "calibration_curve.csv", index=False)
    lift.to_csv(out / "decile_lift.csv", index=False)
    plot_calibration(calibration, out / "calibration_curve.png", f"Churn calibration ({chosen.name})")
    plot_lift(lift, out / "decile_lift.png", f"Churn rate by score decile ({chosen.name})")
    pd.DataFrame([{"candidate": c.name, "chosen": c is chosen, **c.metrics} for c in candidates]).to_csv(
        out / "candidates.csv", index=False
    )
    importance.to_csv(out / "permutation_importance.csv", index=False)
    (out / "training_facts.json").write_text(json.dumps(facts, indent=2, default=str), encoding="utf-8")


def train_churn(
    con: duckdb.DuckDBPyConnection, plan: ObservationPlan, config: ChurnConfig, seed: int, promote: bool,
    facts: dict[str, Any],
) -> ChurnTrainResult:  # fmt: skip
    """Fit, evaluate, log, register and (by the rule) promote a churn model for `plan`."""
    experiment_id = configure_mlflow(CHURN_EXPERIMENT)
    data = load_churn_data(con, plan, config, seed)
    usable, without_data = features_with_data(data.train, config.features)
    if not usable:
        raise InsufficientHistoryError(f"no churn feature varies on the training dates: {without_data}")
    facts = facts | {"features_left_out": facts.get("features_left_out", {}) | without_data}
    config = replace(config, features=usable)
    candidates = fit_candidates(data.train, data.validation, config, seed)
    chosen = choose_candidate(candidates)
    champion_metrics = _champion_metrics(data.validation)
    rule = should_promote_churn(chosen.metrics, champion_metrics) if champion_metrics else None
    decision: PromotionDecision = decide_promotion(rule, allowed=promote)
    features = list(config.features)
    day = plan.logical_date.isoformat()
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-churn-{day}") as run:
        mlflow.set_tags({"logical_date": day, "job": "train", "model": CHURN_MODEL})
        mlflow.log_params(
            config.as_params()
            | {
                "seed": seed,
                "logical_date": day,
                "validation_date": plan.validation_date.isoformat(),
                "training_observation_dates": ",".join(d.isoformat() for d in plan.training_dates),
                "train_rows": len(data.train),
                "validation_rows": len(data.validation),
                "chosen_candidate": chosen.name,
                "selection_rule": "lowest validation log loss",
                "features_left_out": ",".join(sorted(facts.get("features_left_out", {}))) or "none",
            }
        )
        mlflow.log_metrics({k: v for k, v in chosen.metrics.items() if np.isfinite(v)})
        mlflow.log_metrics({"train_positive_rate": float(data.train["churned"].mean())})
        for candidate in candidates:
            with mlflow.start_run(experiment_id=experiment_id, run_name=candidate.name, nested=True):
                mlflow.log_params({"candidate": candidate.name, "seed": seed})
                mlflow.log_metrics({k: v for k, v in candidate.metrics.items() if np.isfinite(v)})
                mlflow.set_tag("chosen", str(candidate is chosen).lower())
        importance = churn_permutation_importance(chosen.pipeline, data.validation, features, seed)
        with tempfile.TemporaryDirectory() as tmp:
            _write_artifacts(Path(tmp), chosen, candidates, data, importance, facts)
            mlflow.log_artifacts(tmp, artifact_path="report")
        log_decision(
            explain_lowest({c.name: c.metrics for c in candidates}, "log_loss", chosen.name, WHY_LOG_LOSS)
        )
        metadata = {
            "features": features,
            "horizon_days": config.horizon_days,
            "validation_date": plan.validation_date.isoformat(),
            "logical_date": day,
            "candidate": chosen.name,
            "validation_metrics": chosen.metrics,
        }
        inputs = data.train[features].head(200).reset_index(drop=True)
        version = log_and_register_model(
            chosen.pipeline, inputs, chosen.pipeline.predict_proba(inputs)[:, 1], CHURN_MODEL, metadata, PACKAGES,
            trusted_prefixes=OWN_TYPES + SKLEARN_INTERNAL_TYPES,
            reference=customer_snapshot(con, plan.logical_date)[features],
        )  # fmt: skip
        if champion_metrics:
            mlflow.log_metrics({f"champion_{k}": v for k, v in champion_metrics.items() if np.isfinite(v)})
        mlflow.log_metric("promoted", float(decision.promote))
        mlflow.set_tags({"promotion_decision": decision.reason, "model_version": version})
    apply_promotion(CHURN_MODEL, version, decision)
    facts = {
        "chosen": chosen.name,
        "logical_date": day,
        "rows": len(data.train),
        "features": ",".join(features),
    }
    facts |= {"validation_rows": len(data.validation), "validation_date": plan.validation_date.isoformat()}
    describe_version(CHURN_MODEL, version, facts | {"run_id": run.info.run_id})
    return ChurnTrainResult(
        run.info.run_id, version, chosen.name, chosen.metrics, decision.promote, decision.reason,
        len(data.train), len(data.validation),
    )  # fmt: skip
