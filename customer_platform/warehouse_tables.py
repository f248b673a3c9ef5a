"""Warehouse tables written by the stages: transactions, read-only readers, create and replace.

Every stage that writes rows into the DuckDB warehouse after dbt (models, activation) uses
these, inside one `warehouse_transaction`. Table and column names come from code constants,
never from user input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import duckdb
import pandas as pd

from customer_platform.config import get_settings
from customer_platform.restricted import attach_restricted
from customer_platform.warehouse_reader import connect_when_free


def column_ddl(columns: Mapping[str, str]) -> str:
    """`name type, ...` for a `create table` statement."""
    return ", ".join(f"{name} {kind}" for name, kind in columns.items())


@contextlib.contextmanager
def warehouse_transaction(
    frames: Mapping[str, pd.DataFrame] | None = None, *, restricted: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write warehouse connection inside one transaction, closed afterwards.

    Committed when the block succeeds; any error rolls everything back and is re-raised,
    so the tables stay as they were. frames: DataFrames registered as views (by name)
    before the transaction begins. restricted: attach the restricted database read-only as
    `restricted` (for stages that read staging or intermediate tables).
    """
    con = connect_when_free(get_settings().warehouse_path)
    try:
        if restricted:
            attach_restricted(con, read_only=True)
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
    con = connect_when_free(get_settings().warehouse_path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `schema.table` (in the connection's own database) or `catalog.schema.table` exists."""
    parts = table.split(".")
    catalog = parts[0] if len(parts) == 3 else con.execute("select current_database()").fetchall()[0][0]
    schema, name = parts[-2], parts[-1]
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [catalog, schema, name],
    ).fetchall()  # fetchall completes the result: the connection is free for the next statement
    return bool(found[0][0])


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
