"""The segment tables in the warehouse: what scoring writes and the history it reads back.

`marts.customer_segments` (current state), `marts.segment_history` (every assignment over
time) and `marts.segment_inputs` (the model inputs of each ML-segmented customer for the
latest `INPUT_DATES_KEPT` scored dates, so the next night can tell customers who changed
from customers the model moved). Writes happen in ONE DuckDB transaction; table and column
names are code constants, never user input.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from customer_platform.warehouse_tables import (
    ensure_table,
    replace_rows,
    replace_table,
    table_exists,
    warehouse_reader,
    warehouse_transaction,
)
from models.features import KEY_COLUMN
from models.segmentation.population import ML_KIND
from models.writeback import LINEAGE_COLUMNS, ModelLineage, stage_rows

SEGMENTS_TABLE = "marts.customer_segments"
HISTORY_TABLE = "marts.segment_history"
INPUTS_TABLE = "marts.segment_inputs"
_STAGING = "segments_staging"
_INPUTS_STAGING = "segment_inputs_staging"
#: Scored dates whose model inputs stay in INPUTS_TABLE (the previous night is what is read).
INPUT_DATES_KEPT = 7
#: Columns of both tables (contract, docs/contracts.md) with their DuckDB types.
SEGMENT_COLUMNS: dict[str, str] = {
    "unified_customer_id": "varchar",
    "segment_id": "integer",
    "segment_kind": "varchar",
    "segment_name": "varchar",
    "segment_description": "varchar",
    "distance": "double",
    **LINEAGE_COLUMNS,
}
#: Columns of INPUTS_TABLE: the model's input values in the order of its `features`.
INPUT_COLUMNS: dict[str, str] = {
    "unified_customer_id": "varchar",
    "logical_date": "date",
    "model_version": "integer",
    "inputs": "double[]",
}


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


def previous_inputs(logical_date: dt.date, features: list[str]) -> pd.DataFrame:
    """The model inputs stored for the latest scored date before `logical_date` (read-only).

    Columns: KEY_COLUMN, segment_id and `features`; empty when there is no earlier date or its
    model took other inputs (then inputs cannot be compared).
    """
    empty = pd.DataFrame(columns=[KEY_COLUMN, "segment_id", *features])
    with warehouse_reader() as con:
        if not (table_exists(con, INPUTS_TABLE) and table_exists(con, HISTORY_TABLE)):
            return empty
        rows = con.execute(
            f"select i.{KEY_COLUMN}, h.segment_id, i.inputs, i.model_version from {INPUTS_TABLE} i "
            f"inner join {HISTORY_TABLE} h on h.{KEY_COLUMN} = i.{KEY_COLUMN} "
            "and h.logical_date = i.logical_date and h.model_version = i.model_version "
            f"where i.logical_date = (select max(logical_date) from {INPUTS_TABLE} where logical_date < ?)",
            [logical_date],
        ).df()
    if rows.empty or rows["inputs"].map(len).ne(len(features)).any():
        return empty
    values = pd.DataFrame(np.vstack(rows["inputs"].to_numpy()), columns=features)
    return pd.concat([rows[[KEY_COLUMN, "segment_id"]], values], axis=1)


def _replace_current(con: duckdb.DuckDBPyConnection) -> None:
    replace_table(con, SEGMENTS_TABLE, _STAGING)


def _append_history(con: duckdb.DuckDBPyConnection, logical_date: dt.date, model_version: int) -> None:
    replace_rows(con, HISTORY_TABLE, _STAGING, {"logical_date": logical_date, "model_version": model_version})


def _keep_inputs(con: duckdb.DuckDBPyConnection, logical_date: dt.date, model_version: int) -> None:
    ensure_table(con, INPUTS_TABLE, INPUT_COLUMNS)
    con.execute(
        f"create or replace temp table {_INPUTS_STAGING} as select cast({KEY_COLUMN} as varchar) as {KEY_COLUMN}, "
        "cast(? as date) as logical_date, cast(? as integer) as model_version, "
        "cast(inputs as double[]) as inputs from inputs_df",
        [logical_date, model_version],
    )
    replace_rows(con, INPUTS_TABLE, _INPUTS_STAGING, {"logical_date": logical_date})
    con.execute(
        f"delete from {INPUTS_TABLE} where logical_date not in "
        f"(select distinct logical_date from {INPUTS_TABLE} order by logical_date desc limit {INPUT_DATES_KEPT})"
    )


def write_segments(
    assignments: pd.DataFrame,
    segments: list[dict[str, Any]],
    *,
    logical_date: dt.date,
    model_name: str,
    model_version: int,
    mlflow_run_id: str,
    assigned_at: dt.datetime,
    inputs: pd.DataFrame | None = None,
) -> None:
    """Replace customer_segments and this date's history (and input) rows in one transaction.

    assignments: KEY_COLUMN, segment_id, distance (NaN for lifecycle segments); segments:
    the segment table (id, name, description, kind); inputs: KEY_COLUMN and `inputs` (a list
    of the model's input values) per ML-segmented customer.
    """
    personas = pd.DataFrame(
        [(int(s["segment_id"]), s.get("kind", ML_KIND), s["name"], s["description"]) for s in segments],
        columns=["segment_id", "segment_kind", "segment_name", "segment_description"],
    )
    if personas["segment_name"].duplicated().any():
        raise ValueError(f"segment names are not unique: {sorted(personas['segment_name'])}")
    if inputs is None:
        inputs = pd.DataFrame({KEY_COLUMN: pd.Series(dtype="string"), "inputs": pd.Series(dtype=object)})
    lineage = ModelLineage(model_name, model_version, mlflow_run_id, logical_date, assigned_at)
    frames = {"assignments_df": assignments, "personas_df": personas, "inputs_df": inputs}
    with warehouse_transaction(frames) as con:
        ensure_table(con, HISTORY_TABLE, SEGMENT_COLUMNS)  # also the schema, and upgrades old history
        staged = stage_rows(
            con,
            _STAGING,
            "cast(a.unified_customer_id as varchar) as unified_customer_id, "
            "cast(a.segment_id as integer) as segment_id, p.segment_kind, p.segment_name, p.segment_description, "
            "cast(a.distance as double) as distance",
            "from assignments_df a inner join personas_df p using (segment_id) order by a.unified_customer_id",
            lineage,
        )
        if staged != len(assignments):
            raise RuntimeError(f"{len(assignments) - staged} assignments have a segment id without a persona")
        _replace_current(con)
        _append_history(con, logical_date, model_version)
        _keep_inputs(con, logical_date, model_version)
