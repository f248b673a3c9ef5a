"""Writing model outputs into the DuckDB warehouse, for every model family.

Every row a model writes carries its lineage (`LINEAGE_COLUMNS`: model name and version,
MLflow run id, logical date, when it was assigned), so each value can be traced to the run
that produced it. A family stages its rows with `stage_rows` and moves them into its
tables with `replace_table` / `replace_rows`, all inside one `warehouse_transaction`.
Table and column names come from code constants, never from user input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from customer_platform.config import get_settings

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


def column_ddl(columns: Mapping[str, str]) -> str:
    """`name type, ...` for a `create table` statement."""
    return ", ".join(f"{name} {kind}" for name, kind in columns.items())


@contextlib.contextmanager
def warehouse_transaction(
    frames: Mapping[str, pd.DataFrame] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write warehouse connection inside one transaction, closed afterwards.

    Committed when the block succeeds; any error rolls everything back and is re-raised,
    so the tables stay as they were. frames: DataFrames registered as views (by name)
    before the transaction begins.
    """
    con = duckdb.connect(str(get_settings().warehouse_path))
    try:
        for name, frame in (frames or {}).items():
            con.register(name, frame)
        con.execute("begin transaction")
        try:
            yield con
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.close()


@contextlib.contextmanager
def warehouse_reader() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only warehouse connection, closed afterwards (writers can open the file right away)."""
    con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `schema.table` exists."""
    schema, name = table.split(".", 1)
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def ensure_table(con: duckdb.DuckDBPyConnection, table: str, columns: Mapping[str, str]) -> None:
    """Create `schema.table` (and its schema) with `columns` unless it exists; add columns it lacks.

    A table written by an older version gains the new columns (null in its old rows), so
    history survives an upgrade.
    """
    schema, name = table.split(".", 1)
    con.execute(f"create schema if not exists {schema}")
    con.execute(f"create table if not exists {table} ({column_ddl(columns)})")
    present = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, kind in columns.items():
        if column not in present:
            con.execute(f"alter table {table} add column {column} {kind}")


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


def replace_table(con: duckdb.DuckDBPyConnection, table: str, staging: str) -> None:
    """Replace `table` by the staged rows (a current-state table)."""
    con.execute(f"create or replace table {table} as select * from {staging}")


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, staging: str, match: Mapping[str, object]
) -> None:
    """Delete the rows of `table` whose columns equal `match`, then insert the staged rows (idempotent).

    Columns are matched by name, so a table that gained columns on an upgrade still fits.
    """
    where = " and ".join(f"{column} = ?" for column in match)
    con.execute(f"delete from {table} where {where}", list(match.values()))
    con.execute(f"insert into {table} by name select * from {staging}")
