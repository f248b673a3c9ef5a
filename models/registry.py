"""MLflow plumbing: tracking URI and experiment from settings, the registered model, aliases.

Aliases, not stages: `champion` is what scoring uses, `challenger` marks the latest
trained version that has not (yet) been promoted.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from customer_platform.config import get_settings

MODEL_NAME = "customer_segmentation"
EXPERIMENT_NAME = "customer_segmentation"
CHAMPION = "champion"
CHALLENGER = "challenger"
CHAMPION_URI = f"models:/{MODEL_NAME}@{CHAMPION}"
_ALLOW_LOAD_ENV = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"
_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


def _artifact_location(root: str) -> str:
    return root if "://" in root else Path(root).resolve().as_uri()


def configure_mlflow() -> str:
    """Point MLflow at the configured tracking URI and return the experiment id.

    The experiment is created on first use; with a local backend its artifacts live
    under `settings.mlflow_artifact_root`, a tracking server keeps its own default.
    """
    settings = get_settings()
    uri = settings.mlflow_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    if experiment is not None:
        return experiment.experiment_id
    is_local = uri.startswith(("sqlite:", "file:")) or "://" not in uri
    location = _artifact_location(settings.mlflow_artifact_root) if is_local else None
    return client.create_experiment(EXPERIMENT_NAME, artifact_location=location)


def alias_version(alias: str, name: str = MODEL_NAME) -> ModelVersion | None:
    """The model version behind `alias`, or None when the model or alias does not exist."""
    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def resolve_model_version(model_uri: str) -> ModelVersion:
    """Pin a `models:/name@alias` or `models:/name/<version>` URI to one model version."""
    match = _MODEL_URI.match(model_uri)
    if match is None:
        raise ValueError(
            f"model_uri must look like models:/<name>@<alias> or models:/<name>/<version>: {model_uri!r}"
        )
    if match["alias"]:
        version = alias_version(match["alias"], match["name"])
        if version is None:
            raise LookupError(f"no model version behind {model_uri}")
        return version
    return MlflowClient().get_model_version(match["name"], match["version"])


def version_uri(version: ModelVersion) -> str:
    """Immutable URI of one version (an alias may move while a run is in flight)."""
    return f"models:/{version.name}/{version.version}"


@contextlib.contextmanager
def _trusted_registry_load() -> Iterator[None]:
    # MLflow refuses to deserialize any model unless this flag is set. Our own registry is
    # the trusted source, so allow it for the duration of this load only; an explicit
    # setting in the environment (e.g. "false") wins.
    if os.environ.get(_ALLOW_LOAD_ENV) is not None:
        yield
        return
    os.environ[_ALLOW_LOAD_ENV] = "true"
    try:
        yield
    finally:
        os.environ.pop(_ALLOW_LOAD_ENV, None)


def load_pipeline(version: ModelVersion):
    """Load the scikit-learn pipeline of a registered version."""
    import mlflow.sklearn

    with _trusted_registry_load():
        return mlflow.sklearn.load_model(version_uri(version))


def load_segment_metadata(version: ModelVersion) -> dict[str, Any]:
    """The segment table (ids, personas, centroids) stored in the model's metadata."""
    metadata = mlflow.models.get_model_info(version_uri(version)).metadata or {}
    if "segments" not in metadata:
        raise LookupError(f"{version_uri(version)} carries no segment metadata")
    return metadata


def set_alias(alias: str, version: ModelVersion | str, name: str = MODEL_NAME) -> None:
    """Point `alias` at `version`."""
    number = version.version if isinstance(version, ModelVersion) else str(version)
    MlflowClient().set_registered_model_alias(name, alias, number)


def clear_alias(alias: str, name: str = MODEL_NAME) -> None:
    """Remove `alias` if it is set."""
    with contextlib.suppress(MlflowException):
        MlflowClient().delete_registered_model_alias(name, alias)
