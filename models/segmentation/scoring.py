"""Give every customer a segment for one logical date and write the segments back to the warehouse.

The customers `models.segmentation.population` selects are scored with a registered model
(`segment_kind` ml); everyone else gets their lifecycle segment (`segment_kind` lifecycle,
negative ids). `marts.customer_segments` is replaced, and `marts.segment_history` and
`marts.segment_inputs` (the model inputs per ML-segmented customer, kept for the latest
`INPUT_DATES_KEPT` dates to measure production stability) get this logical date's rows in
ONE DuckDB transaction: a failure anywhere leaves the tables as they were. Re-running a
date gives the same rows (only `assigned_at` differs). The ML-segmented customers' inputs are
then counted per reference bin of the scoring version into `marts.model_input_profiles`, what
monitoring measures drift on (`customer_platform.input_profiles`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from customer_platform.drift import REFERENCE_BINS_KEY
from customer_platform.input_profiles import write_input_profile
from models.features import FEATURE_COLUMNS, KEY_COLUMN, load_features, parse_logical_date
from models.registry import load_pipeline, resolve_model_version
from models.segmentation.pipeline import cluster_centers
from models.segmentation.population import (
    BEHAVIOUR_COLUMNS,
    Population,
    lifecycle_assignments,
    lifecycle_segment_table,
    load_lifecycle,
    split_population,
)
from models.segmentation.promotion_rule import stability_ari
from models.segmentation.registered_model import CHAMPION_URI, EXPERIMENT_NAME, load_segment_metadata
from models.segmentation.segment_tables import (
    HISTORY_TABLE,
    INPUTS_TABLE,
    SEGMENT_COLUMNS,
    SEGMENTS_TABLE,
    previous_assignments,
    previous_inputs,
    write_segments,
)
from models.segmentation.stability import unchanged_but_moved
from models.segmentation.training import segment_ids_for
from models.tracking import configure_mlflow

log = logging.getLogger(__name__)

__all__ = ["HISTORY_TABLE", "INPUTS_TABLE", "SEGMENTS_TABLE", "SEGMENT_COLUMNS", "score", "write_segments"]


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring wrote; `stability_ari` is None on the first scored date."""

    logical_date: str
    model_name: str
    model_version: str
    mlflow_run_id: str
    score_run_id: str
    rows: int
    segment_counts: dict[int, int] = field(default_factory=dict)
    stability_ari: float | None = None
    previous_logical_date: str | None = None
    customers_compared: int = 0
    ml_rows: int = 0
    lifecycle_rows: int = 0
    changed_share_features_steady: float | None = None
    customers_features_steady: int = 0
    input_profile_rows: int = 0


def assign_segments(pipeline: Pipeline, metadata: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """(unified_customer_id, segment_id, distance) per customer; distance in scaled units."""
    inputs = frame[metadata["features"]]
    labels = pipeline.predict(inputs)
    scaled = pipeline.named_steps["preprocess"].transform(inputs)
    centers = cluster_centers(pipeline.named_steps["cluster"])
    return pd.DataFrame(
        {
            KEY_COLUMN: frame[KEY_COLUMN].to_numpy(),
            "segment_id": segment_ids_for(labels, metadata["segments"]).astype("int32"),
            "distance": np.linalg.norm(scaled - centers[labels], axis=1),
        }
    )


def stability_vs_previous(current: pd.DataFrame, previous: pd.DataFrame) -> tuple[float | None, int]:
    """(ARI, customers compared) over customers assigned on both dates."""
    both = current[[KEY_COLUMN, "segment_id"]].merge(previous, on=KEY_COLUMN, suffixes=("", "_previous"))
    if len(both) < 2:
        return None, len(both)
    return stability_ari(both["segment_id_previous"].to_numpy(), both["segment_id"].to_numpy()), len(both)


def _assign_everyone(
    pipeline: Pipeline, metadata: dict[str, Any], population: Population
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(assignments of every customer, ML assignments with their inputs) for one date."""
    ml = assign_segments(pipeline, metadata, population.features)
    ml_with_inputs = ml.join(population.features[metadata["features"]].reset_index(drop=True))
    assignments = pd.concat([ml, lifecycle_assignments(population.lifecycle)], ignore_index=True)
    return assignments.sort_values(KEY_COLUMN, kind="stable").reset_index(drop=True), ml_with_inputs


def _behaviour_columns(features: list[str]) -> list[str]:
    return list(dict.fromkeys([*features, *(c for c in BEHAVIOUR_COLUMNS if c in FEATURE_COLUMNS)]))


def score(logical_date: str, model_uri: str = CHAMPION_URI) -> ScoreResult:
    """Give every customer of the date a segment (ML with `model_uri`, or lifecycle) and write back.

    The alias is resolved to one version first, so a promotion mid-run cannot mix models.
    Stability (ARI vs the previous logical date's assignments, and the share of customers
    whose segment moved although their inputs did not) is logged to MLflow.
    """
    day = parse_logical_date(logical_date)
    experiment_id = configure_mlflow(EXPERIMENT_NAME)
    version = resolve_model_version(model_uri)
    metadata = load_segment_metadata(version)
    pipeline = load_pipeline(version)
    features = list(metadata["features"])
    frame = load_features(day, _behaviour_columns(features))
    population = split_population(frame, load_lifecycle(day))
    log.info(
        "segmentation scoring %s: %d customers for %s v%s, %d by lifecycle stage",
        day, len(population.features), version.name, version.version, len(population.lifecycle),
    )  # fmt: skip
    assignments, ml_inputs = _assign_everyone(pipeline, metadata, population)
    previous_date, previous = previous_assignments(day)
    ari, compared = stability_vs_previous(assignments, previous)
    steady_share, steady = unchanged_but_moved(
        ml_inputs[[KEY_COLUMN, "segment_id", *features]],
        previous_inputs(day, features),
        pipeline.named_steps["preprocess"],
        features,
    )
    write_segments(
        assignments,
        metadata["segments"] + lifecycle_segment_table(),
        logical_date=day,
        model_name=version.name,
        model_version=int(version.version),
        mlflow_run_id=version.run_id,
        assigned_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),  # audit stamp only, never selects data
        inputs=pd.DataFrame(
            {KEY_COLUMN: ml_inputs[KEY_COLUMN], "inputs": list(ml_inputs[features].to_numpy(dtype="float64"))}
        ),
    )
    log.info("segmentation scoring %s: %d assignments written", day, len(assignments))
    profiled = write_input_profile(
        day, version.name, str(version.version), metadata.get(REFERENCE_BINS_KEY), ml_inputs[features]
    )
    counts = {int(k): int(v) for k, v in assignments["segment_id"].value_counts().sort_index().items()}
    result = ScoreResult(
        logical_date=str(day),
        model_name=version.name,
        model_version=str(version.version),
        mlflow_run_id=version.run_id,
        score_run_id="",
        rows=len(assignments),
        segment_counts=counts,
        stability_ari=ari,
        previous_logical_date=str(previous_date) if previous_date else None,
        customers_compared=compared,
        ml_rows=len(population.features),
        lifecycle_rows=len(population.lifecycle),
        changed_share_features_steady=steady_share,
        customers_features_steady=steady,
        input_profile_rows=profiled,
    )
    return replace(result, score_run_id=_log_score_run(experiment_id, model_uri, version, result))


def _log_score_run(experiment_id: str, model_uri: str, version: Any, result: ScoreResult) -> str:
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"score-{result.logical_date}") as run:
        mlflow.set_tags(
            {
                "job": "score",
                "logical_date": result.logical_date,
                "model_version": str(version.version),
                "model_run_id": version.run_id,
                "previous_logical_date": result.previous_logical_date or "",
            }
        )
        mlflow.log_params(
            {
                "logical_date": result.logical_date,
                "model_uri": model_uri,
                "model_version": str(version.version),
            }
        )
        metrics = {
            "rows_scored": result.rows,
            "customers_compared": result.customers_compared,
            "ml_rows": result.ml_rows,
            "lifecycle_rows": result.lifecycle_rows,
            "customers_features_steady": result.customers_features_steady,
        }
        metrics |= {
            f"segment_share_{sid}": n / max(result.rows, 1)
            for sid, n in result.segment_counts.items()
            if sid >= 0
        }
        metrics |= {
            f"lifecycle_share_{-sid}": n / max(result.rows, 1)
            for sid, n in result.segment_counts.items()
            if sid < 0
        }
        if result.stability_ari is not None:
            metrics["stability_ari_vs_previous_date"] = result.stability_ari
        if result.changed_share_features_steady is not None:
            metrics["segment_changed_share_features_steady"] = result.changed_share_features_steady
        mlflow.log_metrics(metrics)
        return run.info.run_id
