"""MLflow tracking: the tracking and registry URI from settings, and an experiment per model family.

Every experiment carries the tags of `models.experiments` (kind, description, a saved view of
the key metrics), written whenever it is configured, so older experiments catch up.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
from mlflow import MlflowClient

from customer_platform.config import get_settings
from models.experiments import experiment_tags


def _artifact_location(root: str) -> str:
    return root if "://" in root else Path(root).resolve().as_uri()


def configure_mlflow(experiment_name: str) -> str:
    """Point MLflow at the configured tracking URI and return the id of `experiment_name`.

    The experiment is created on first use; with a local backend its artifacts live
    under `settings.mlflow_artifact_root`, a tracking server keeps its own default. Its tags
    (`models.experiments.experiment_tags`) are set on every call where they differ.
    """
    settings = get_settings()
    uri = settings.mlflow_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        is_local = uri.startswith(("sqlite:", "file:")) or "://" not in uri
        location = _artifact_location(settings.mlflow_artifact_root) if is_local else None
        experiment_id = client.create_experiment(experiment_name, artifact_location=location)
        current: dict[str, str] = {}
    else:
        experiment_id, current = experiment.experiment_id, experiment.tags
    for key, value in experiment_tags(experiment_name).items():
        if current.get(key) != value:
            client.set_experiment_tag(experiment_id, key, value)
    return experiment_id
