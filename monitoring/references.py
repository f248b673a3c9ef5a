"""The champions' stored reference bins, read from the MLflow registry (not through `models`).

A registered version carries its reference bins in its model metadata
(`customer_platform.drift.REFERENCE_BINS_KEY`, written by `models.registry` at training). A
champion registered before that carries none: `references` is None and monitoring records
`no_reference` for it instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from customer_platform.config import get_settings
from customer_platform.drift import REFERENCE_BINS_KEY
from customer_platform.model_names import CHAMPION

#: MLflow error codes meaning "no such model or alias" (the model is not trained yet).
_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")


@dataclass(frozen=True)
class ChampionReference:
    """A champion version and its reference bins per input (None: registered without them)."""

    model_name: str
    version: str
    references: dict[str, dict[str, Any]] | None


def _configure_tracking() -> None:
    uri = get_settings().mlflow_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def champion_reference(model_name: str) -> ChampionReference | None:
    """The champion of `model_name` and its reference bins, or None when there is no champion yet."""
    _configure_tracking()
    try:
        version = MlflowClient().get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code in _NOT_FOUND:
            return None
        raise
    metadata = mlflow.models.get_model_info(f"models:/{model_name}/{version.version}").metadata or {}
    return ChampionReference(model_name, str(version.version), metadata.get(REFERENCE_BINS_KEY))


def champion_references(model_names: Iterable[str]) -> dict[str, ChampionReference | None]:
    """`champion_reference` of each model name."""
    return {name: champion_reference(name) for name in model_names}
