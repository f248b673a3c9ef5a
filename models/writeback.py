"""Writing model outputs into the DuckDB warehouse, for every model family.

Every row a model writes carries its lineage (`LINEAGE_COLUMNS`: model name and version,
MLflow run id, logical date, when it was assigned), so each value can be traced to the run
that produced it. A family stages its rows with `stage_rows` and moves them into its
tables with `replace_table` / `replace_rows`, all inside one `warehouse_transaction`
(`customer_platform.warehouse_tables`, shared with the other writing stages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb

#: Lineage columns every model-written table ends with (contract), with their DuckDB types.
LINEAGE_COLUMNS: dict[str, str] = {
    "model_name": "varchar",
    "model_version": "integer",
    "mlflow_run_id": "varchar",
    "logical_date": "date",
    "assigned_at": "timestamp",
}


@dataclass(frozen=True)
class ModelLineage:
    """Which registered model version, from which MLflow run, wrote rows for which logical date."""

    model_name: str
    model_version: int
    mlflow_run_id: str
    logical_date: dt.date
    assigned_at: dt.datetime

    def sql_params(self) -> dict[str, object]:
        """Named parameters for the `$<column>` placeholders of `stage_rows`."""
        return asdict(self)


_LINEAGE_SELECT = ", ".join(f"cast(${name} as {kind}) as {name}" for name, kind in LINEAGE_COLUMNS.items())


def stage_rows(
    con: duckdb.DuckDBPyConnection, staging: str, select_list: str, from_clause: str, lineage: ModelLineage
) -> int:
    """Stage `select <select_list>, <lineage columns> <from_clause>` as temp table `staging`; returns its rows.

    select_list: the family's own columns (cast to their types); from_clause: `from ...`
    over registered frames, with joins and ordering.
    """
    con.execute(
        f"create or replace temp table {staging} as select {select_list}, {_LINEAGE_SELECT} {from_clause}",
        lineage.sql_params(),
    )
    return con.execute(f"select count(*) from {staging}").fetchone()[0]
