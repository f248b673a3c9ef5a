"""The registered segmentation model: its MLflow experiment and model name, and its metadata.

Each version carries its segment table (ids, personas, centroids) and input features in
the model metadata, so scoring and the next retrain read them from the registry.
"""

from __future__ import annotations

from typing import Any

from mlflow.entities.model_registry import ModelVersion

from customer_platform.model_names import SEGMENTATION_MODEL
from models.registry import CHAMPION, alias_uri, load_model_metadata, version_uri

MODEL_NAME = SEGMENTATION_MODEL
EXPERIMENT_NAME = "customer_segmentation"
#: What scoring uses: `models:/customer_segmentation@champion`.
CHAMPION_URI = alias_uri(MODEL_NAME, CHAMPION)


def load_segment_metadata(version: ModelVersion) -> dict[str, Any]:
    """The segment table (ids, personas, centroids) and features stored in the model's metadata."""
    metadata = load_model_metadata(version)
    if "segments" not in metadata:
        raise LookupError(f"{version_uri(version)} carries no segment metadata")
    return metadata
