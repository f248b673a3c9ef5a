"""Reading the warehouse read-only: the connection, a run holding the write lock, the table catalog.

DuckDB lets one process write a file and refuses every other connection meanwhile ("Could not
set lock on file"); a read-only connection in turn keeps writers out while it is open. So the
dashboard opens the file read-only only while its queries run (they fetch aggregates into
Python; charts are drawn after the connection is closed) and reports a held lock as
`WarehouseBusy` instead of an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb


class WarehouseBusy(RuntimeError):
    """Another process (a run) holds the warehouse's write lock."""


class WarehouseMissing(RuntimeError):
    """The warehouse file does not exist yet (no run has built it)."""


def is_lock_conflict(error: BaseException) -> bool:
    """Whether a DuckDB error means another process holds the file's lock."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse, closed afterwards.

    Raises WarehouseMissing when the file is absent and WarehouseBusy when a run is writing it.
    """
    if not path.is_file():
        raise WarehouseMissing(f"{path} does not exist yet: run `cdp run` (or `make run`) first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if is_lock_conflict(exc):
            raise WarehouseBusy(f"a run is writing {path}") from exc
        raise
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class Catalog:
    """The warehouse's tables (`schema.table`) and their columns, read once per render."""

    columns: dict[str, frozenset[str]]

    def has(self, table: str, *columns: str) -> bool:
        """Whether `table` exists with every one of `columns`."""
        present = self.columns.get(table)
        return present is not None and set(columns) <= present

    def tables_with(self, *columns: str) -> list[str]:
        """Every table holding all of `columns`, sorted."""
        return sorted(t for t, present in self.columns.items() if set(columns) <= present)


def read_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """Tables and columns of every schema except the restricted `pii` one (never read here)."""
    found: dict[str, set[str]] = {}
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema <> 'pii'"
    ).fetchall():
        found.setdefault(f"{schema}.{table}", set()).add(column)
    return Catalog({table: frozenset(columns) for table, columns in found.items()})


def records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a query as dicts (small aggregate results only)."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row of a query."""
    row = con.execute(sql, list(params)).fetchone()
    return None if row is None else row[0]
