"""The model stages of a benchmark run: the MLflow store, training, and the detail of scoring stages."""

from __future__ import annotations

from typing import Any

from bench.monitor import Stage, StageRecorder


def scoring_detail(stage: Stage, result: dict[str, Any]) -> None:
    """Rows and detail of the segmentation scoring stage from its result."""
    scored = result["scored"]
    stage.rows_in = stage.rows_out = int(scored["rows"])
    stage.detail = {
        "model_version": scored["model_version"],
        "stability_ari": scored["stability_ari"],
        "segments": len(scored["segment_counts"]),
        "trained": result["trained"] is not None,
    }


def prediction_detail(stage: Stage, result: dict[str, Any]) -> None:
    """Rows and detail of the prediction stage from its result (or why it was skipped)."""
    scored = result.get("scored")
    if not scored:
        stage.detail = {"skipped": result.get("skipped")}
        return
    stage.rows_in = stage.rows_out = int(scored["customers"])
    stage.detail = {
        "at_risk": scored["at_risk"],
        "churn_model_version": scored["churn_model_version"],
        "clv_model_version": scored["clv_model_version"],
        "trained": result["trained"] is not None,
    }


def init_model_store(recorder: StageRecorder) -> None:
    """Create the MLflow store and experiment (a one-time schema migration on a new SQLite store)."""
    from models.segmentation.registered_model import EXPERIMENT_NAME
    from models.tracking import configure_mlflow

    with recorder.measure("mlflow store init", "initial"):
        configure_mlflow(EXPERIMENT_NAME)


def train_models(recorder: StageRecorder, logical_date: str) -> dict[str, Any]:
    """Model selection, MLflow logging and registration (the first night's `run_nightly` does the same)."""
    from models.segmentation.training import train

    with recorder.measure("training (selection)", "initial") as stage:
        result = train(logical_date)
        stage.rows_in = result.row_count
        stage.detail = {
            key: value
            for key, value in result.summary().items()
            if key in {"algorithm", "k", "silhouette", "model_version", "is_champion"}
        }
    return result.summary()


def train_prediction_models(recorder: StageRecorder, logical_date: str) -> dict[str, Any] | None:
    """Churn and lifetime-value training (the first night's `run_nightly_predictions` does the same)."""
    from models.prediction.churn import InsufficientHistoryError
    from models.prediction.training import train_predictions

    with recorder.measure("training (churn + lifetime value)", "initial") as stage:
        try:
            result = train_predictions(logical_date)
        except InsufficientHistoryError as exc:
            stage.detail = {"skipped": str(exc)}
            return None
        stage.rows_in = result.churn.train_rows + result.churn.validation_rows
        stage.detail = {
            "churn_candidate": result.churn.chosen,
            "churn_roc_auc": round(result.churn.metrics["roc_auc"], 4),
            "clv_normalized_gini": round(result.value.metrics["normalized_gini"], 4),
            "clv_fit_seconds": round(result.value.metrics.get("fit_seconds", float("nan")), 1),
        }
    return result.summary()
