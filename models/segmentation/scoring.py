"""Score every customer with a registered model and write the segments back to the warehouse.

`marts.customer_segments` is replaced and `marts.segment_history` gets this logical
date's rows in ONE DuckDB transaction: a failure anywhere leaves both tables as they were.
Re-running a date gives the same rows (only `assigned_at` differs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import mlflow
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from models.features import KEY_COLUMN, load_features, parse_logical_date
from models.registry import load_pipeline, resolve_model_version
from models.segmentation.pipeline import cluster_centers
from models.segmentation.promotion_rule import stability_ari
from models.segmentation.registered_model import CHAMPION_URI, EXPERIMENT_NAME, load_segment_metadata
from models.segmentation.training import segment_ids_for
from models.tracking import configure_mlflow
from models.writeback import (
    LINEAGE_COLUMNS,
    ModelLineage,
    ensure_table,
    replace_rows,
    replace_table,
    stage_rows,
    table_exists,
    warehouse_reader,
    warehouse_transaction,
)

SEGMENTS_TABLE = "marts.customer_segments"
HISTORY_TABLE = "marts.segment_history"
_STAGING = "segments_staging"
#: Columns of both tables (contract, docs/contracts.md) with their DuckDB types.
SEGMENT_COLUMNS: dict[str, str] = {
    "unified_customer_id": "varchar",
    "segment_id": "integer",
    "segment_name": "varchar",
    "segment_description": "varchar",
    "distance": "double",
    **LINEAGE_COLUMNS,
}


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


def previous_assignments(logical_date: dt.date) -> tuple[dt.date | None, pd.DataFrame]:
    """The latest history before `logical_date` (its newest model version), read-only."""
    with warehouse_reader() as con:
        if not table_exists(con, HISTORY_TABLE):
            return None, pd.DataFrame(columns=[KEY_COLUMN, "segment_id"])
        row = con.execute(
            f"select max(logical_date) from {HISTORY_TABLE} where logical_date < ?", [logical_date]
        ).fetchone()
        if row[0] is None:
            return None, pd.DataFrame(columns=[KEY_COLUMN, "segment_id"])
        frame = con.execute(
            f"select {KEY_COLUMN}, segment_id from {HISTORY_TABLE} where logical_date = ? and model_version = "
            f"(select max(model_version) from {HISTORY_TABLE} where logical_date = ?)",
            [row[0], row[0]],
        ).df()
        return row[0], frame


def stability_vs_previous(current: pd.DataFrame, previous: pd.DataFrame) -> tuple[float | None, int]:
    """(ARI, customers compared) over customers assigned on both dates."""
    both = current[[KEY_COLUMN, "segment_id"]].merge(previous, on=KEY_COLUMN, suffixes=("", "_previous"))
    if len(both) < 2:
        return None, len(both)
    return stability_ari(both["segment_id_previous"].to_numpy(), both["segment_id"].to_numpy()), len(both)


def _replace_current(con: duckdb.DuckDBPyConnection) -> None:
    replace_table(con, SEGMENTS_TABLE, _STAGING)


def _append_history(con: duckdb.DuckDBPyConnection, logical_date: dt.date, model_version: int) -> None:
    replace_rows(con, HISTORY_TABLE, _STAGING, {"logical_date": logical_date, "model_version": model_version})


def write_segments(
    assignments: pd.DataFrame,
    segments: list[dict[str, Any]],
    *,
    logical_date: dt.date,
    model_name: str,
    model_version: int,
    mlflow_run_id: str,
    assigned_at: dt.datetime,
) -> None:
    """Replace customer_segments and this date's history rows in one transaction."""
    personas = pd.DataFrame(
        [(int(s["segment_id"]), s["name"], s["description"]) for s in segments],
        columns=["segment_id", "segment_name", "segment_description"],
    )
    lineage = ModelLineage(model_name, model_version, mlflow_run_id, logical_date, assigned_at)
    with warehouse_transaction({"assignments_df": assignments, "personas_df": personas}) as con:
        ensure_table(con, HISTORY_TABLE, SEGMENT_COLUMNS)
        staged = stage_rows(
            con,
            _STAGING,
            "cast(a.unified_customer_id as varchar) as unified_customer_id, "
            "cast(a.segment_id as integer) as segment_id, p.segment_name, p.segment_description, "
            "cast(a.distance as double) as distance",
            "from assignments_df a inner join personas_df p using (segment_id) order by a.unified_customer_id",
            lineage,
        )
        if staged != len(assignments):
            raise RuntimeError(f"{len(assignments) - staged} assignments have a segment id without a persona")
        _replace_current(con)
        _append_history(con, logical_date, model_version)


def score(logical_date: str, model_uri: str = CHAMPION_URI) -> ScoreResult:
    """Assign every customer of the date's feature table with `model_uri` and write back.

    The alias is resolved to one version first, so a promotion mid-run cannot mix models.
    Stability (ARI vs the previous logical date's assignments) is logged to MLflow.
    """
    day = parse_logical_date(logical_date)
    experiment_id = configure_mlflow(EXPERIMENT_NAME)
    version = resolve_model_version(model_uri)
    metadata = load_segment_metadata(version)
    pipeline = load_pipeline(version)
    frame = load_features(day, metadata["features"])
    assignments = assign_segments(pipeline, metadata, frame)
    previous_date, previous = previous_assignments(day)
    ari, compared = stability_vs_previous(assignments, previous)
    write_segments(
        assignments,
        metadata["segments"],
        logical_date=day,
        model_name=version.name,
        model_version=int(version.version),
        mlflow_run_id=version.run_id,
        assigned_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),  # audit stamp only, never selects data
    )
    counts = {int(k): int(v) for k, v in assignments["segment_id"].value_counts().sort_index().items()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"score-{day}") as run:
        mlflow.set_tags(
            {
                "job": "score",
                "logical_date": str(day),
                "model_version": str(version.version),
                "model_run_id": version.run_id,
                "previous_logical_date": str(previous_date or ""),
            }
        )
        mlflow.log_params(
            {"logical_date": str(day), "model_uri": model_uri, "model_version": str(version.version)}
        )
        metrics = {"rows_scored": len(assignments), "customers_compared": compared}
        metrics |= {f"segment_share_{sid}": n / max(len(assignments), 1) for sid, n in counts.items()}
        if ari is not None:
            metrics["stability_ari_vs_previous_date"] = ari
        mlflow.log_metrics(metrics)
    return ScoreResult(
        logical_date=str(day),
        model_name=version.name,
        model_version=str(version.version),
        mlflow_run_id=version.run_id,
        score_run_id=run.info.run_id,
        rows=len(assignments),
        segment_counts=counts,
        stability_ari=ari,
        previous_logical_date=str(previous_date) if previous_date else None,
        customers_compared=compared,
    )
