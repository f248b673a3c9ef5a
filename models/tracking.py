"""MLflow tracking: the tracking and registry URI from settings, and an experiment per model family."""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow import MlflowClient

from customer_platform.config import get_settings


def _artifact_location(root: str) -> str:
    return root if "://" in root else Path(root).resolve().as_uri()


def configure_mlflow(experiment_name: str) -> str:
    """Point MLflow at the configured tracking URI and return the id of `experiment_name`.

    The experiment is created on first use; with a local backend its artifacts live
    under `settings.mlflow_artifact_root`, a tracking server keeps its own default.
    """
    settings = get_settings()
    uri = settings.mlflow_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is not None:
        return experiment.experiment_id
    is_local = uri.startswith(("sqlite:", "file:")) or "://" not in uri
    location = _artifact_location(settings.mlflow_artifact_root) if is_local else None
    return client.create_experiment(experiment_name, artifact_location=location)
