"""The registered segmentation model: its MLflow experiment and model name, and its metadata.

Each version carries its segment table (ids, personas, centroids) and input features in
the model metadata, so scoring and the next retrain read them from the registry.
"""

from __future__ import annotations

from typing import Any

from mlflow.entities.model_registry import ModelVersion

from customer_platform.model_names import SEGMENTATION_MODEL
from models.registry import CHAMPION, alias_uri, describe_version, load_model_metadata, version_uri

MODEL_NAME = SEGMENTATION_MODEL
EXPERIMENT_NAME = "customer_segmentation"
#: What scoring uses: `models:/customer_segmentation@champion`.
CHAMPION_URI = alias_uri(MODEL_NAME, CHAMPION)
MODEL_DESCRIPTION = (
    "Customer segmentation: a scikit-learn pipeline (preprocessing + the chosen clusterer) that "
    "assigns every customer with purchase behaviour to a segment; the segment table (ids, personas, "
    "centroids) is in each version's metadata. Trained by `models/segmentation/training.py` "
    "(experiment `customer_segmentation`); scoring loads `models:/customer_segmentation@champion`."
)


def load_segment_metadata(version: ModelVersion) -> dict[str, Any]:
    """The segment table (ids, personas, centroids) and features stored in the model's metadata."""
    metadata = load_model_metadata(version)
    if "segments" not in metadata:
        raise LookupError(f"{version_uri(version)} carries no segment metadata")
    return metadata


def describe_segmentation_version(version: str, facts: dict[str, Any]) -> None:
    """Description and tags of a new version: facts are its data version, features, winner and run.

    facts: `logical_date`, `row_count`, `clustered_rows`, `feature_table_hash`, `features`,
    `chosen`, `run_id` (any further keys become tags too).
    """
    text = (
        f"{facts['chosen']} trained on {facts['logical_date']}: {facts['clustered_rows']} of "
        f"{facts['row_count']} customers clustered (feature table hash {facts['feature_table_hash']}). "
        "Why this candidate won: `report/selection_decision.md` of the training run."
    )
    tags = facts | {"data_version": f"{facts['logical_date']}/{facts['feature_table_hash']}"}
    describe_version(MODEL_NAME, version, MODEL_DESCRIPTION, text, tags)
