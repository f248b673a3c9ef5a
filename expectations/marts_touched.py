"""The DuckDB side of the incremental marts gate: the touched rows, whole-table checks, the next state.

Everything runs on the gate's read-only warehouse connection in temporary tables: the suite's
query runs once (`gate_frame`), each row's key and hash go to a narrow table (`gate_keys`),
the touched rows are those not in the stored state, and one scan of the frame computes the
whole-table checks. Only the touched rows (and a one-row sample) become pandas frames.
"""

from __future__ import annotations

from typing import Any

import duckdb

from expectations import marts_sql as sql
from expectations.marts_increment import Increment, Plan
from expectations.marts_state import StateMeta, fingerprint, load_meta, state_paths, write_pending_meta

FRAME, KEYS, TOUCHED = "gate_frame", "gate_keys", "gate_touched"
ROW, ROW_HASH, DIRTY = "_gate_row", "_gate_row_hash", "_gate_dirty"


def materialise(connection: duckdb.DuckDBPyConnection, query: str, parameters: Any) -> dict[str, str]:
    """Run the suite's query once into a temporary table; return its column types."""
    connection.execute(f"create or replace temp table {FRAME} as select * from ({query})", parameters)
    return {name: str(kind) for name, kind, *_ in connection.execute(f"describe {FRAME}").fetchall()}


def sample(connection: duckdb.DuckDBPyConnection) -> Any:
    """The frame's columns and first row (what a suite and its notes read from the frame)."""
    return connection.execute(f"select * from {FRAME} limit 1").df()


def whole_frame(connection: duckdb.DuckDBPyConnection) -> Any:
    """The whole frame as pandas (a suite that validates every row through GX)."""
    return connection.execute(f"select * from {FRAME}").df()


def drop_temporary(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop the gate's temporary tables (the connection stays open for the next suite)."""
    for table in (FRAME, KEYS, TOUCHED):
        connection.execute(f"drop table if exists {table}")


def select_touched(
    connection: duckdb.DuckDBPyConnection,
    settings: Any,
    suite_name: str,
    plan: Plan,
    types: dict[str, str],
    full: bool,
    run: tuple[str, str],
) -> tuple[Any, Increment]:
    """(touched rows of the materialised frame as pandas, the suite's Increment); writes the pending state.

    full: validate every row (the `--full` option); the state is still written for the next run.
    run: (logical date, run id) recorded with the state.
    """
    hashed = plan.hashed_columns
    digest = fingerprint([(k, _plain(a)) for k, a in plan.gx_rows], str(plan.key), hashed)
    meta = load_meta(settings, suite_name)
    incremental = not full and meta is not None and meta.fingerprint == digest
    columns = ", ".join(sql.quoted(c) for c in hashed)
    connection.execute(
        f"create or replace temp table {KEYS} as "
        f"select rowid as {ROW}, hash({columns}) as row_hash from {FRAME}"
    )
    checks = [sql.unexpected_sql(k, a, types[str(a["column"])]) for k, a in plan.gx_rows]
    dirty = " or ".join(f"({p})" for p, _ in checks) or "false"
    params = [v for _, ps in checks for v in ps]
    changed = ""
    if incremental:  # the hash covers the key, so a row is unchanged when its hash was stored
        stored, _ = state_paths(settings, suite_name)
        changed = (
            f"join (select k.{ROW} from {KEYS} as k anti join read_parquet(?) as s "
            f"on k.row_hash = s.row_hash) as changed on f.rowid = changed.{ROW}"
        )
        params.append(str(stored))  # placeholders number in text order: the join comes last
    connection.execute(
        f"create or replace temp table {TOUCHED} as "
        f"select f.rowid as {ROW}, f.*, ({dirty}) as {DIRTY} from {FRAME} as f {changed}",
        params,
    )
    touched_unexpected = _counts(connection, plan.gx_rows, checks)
    rows, missing, sql_results = _whole_table(connection, plan, types)
    increment = Increment(
        suite=suite_name,
        plan=plan,
        full=not incremental,
        rows=rows,
        touched=int(connection.execute(f"select count(*) from {TOUCHED}").fetchone()[0]),
        previous_rows=meta.rows if meta else None,
        missing=missing,
        sql_results=sql_results,
        touched_unexpected=touched_unexpected,
        settings=settings,
    )
    _write_pending(connection, settings, StateMeta(suite_name, str(plan.key), hashed, digest, rows, *run))
    frame = connection.execute(f"select * exclude ({ROW}, {DIRTY}) from {TOUCHED} order by {ROW}").df()
    return frame, increment


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in sorted(kwargs) if k in sql.KNOWN_KWARGS}


def _counts(connection, checks_of: list, checks: list[tuple[str, list[Any]]]) -> dict:
    """Unexpected touched rows per row-level check (`(type, column)`)."""
    if not checks:
        return {}
    selects = ", ".join(f"count(*) filter (where {p})" for p, _ in checks)
    params = [v for _, ps in checks for v in ps]
    values = connection.execute(f"select {selects} from {TOUCHED}", params).fetchone()
    return {(k, str(a["column"])): int(n) for (k, a), n in zip(checks_of, values, strict=True)}


def _whole_table(connection, plan: Plan, types: dict[str, str]) -> tuple[int, dict[str, int], dict]:
    """(rows, missing values per checked column, GX-shaped (success, result) of each SQL check).

    One scan counts rows, missing values, the row-level SQL checks' unexpected rows and the
    distinct values of unique columns; examples (and duplicated rows) are looked up only for
    checks that failed.
    """
    columns = sorted({str(a["column"]) for _, a in plan.gx_rows + plan.in_sql})
    row_checks = [(k, a) for k, a in plan.in_sql if k in sql.ROW_LEVEL]
    unique = [str(a["column"]) for k, a in plan.in_sql if k in sql.WHOLE_TABLE]
    predicates = [sql.unexpected_sql(k, a, types[str(a["column"])]) for k, a in row_checks]
    selects = [
        "count(*)",
        *(f"count(*) filter (where {sql.missing(c, types[c])})" for c in columns),
        *(f"count(*) filter (where {p})" for p, _ in predicates),
        *(f"count(distinct {sql.quoted(c)}) filter (where not {sql.missing(c, types[c])})" for c in unique),
    ]
    params = [v for _, ps in predicates for v in ps]
    rows, *counts = connection.execute(f"select {', '.join(selects)} from {FRAME}", params).fetchone()
    missing = {c: int(n) for c, n in zip(columns, counts, strict=False)}
    found = counts[len(columns) : len(columns) + len(predicates)]
    distinct = dict(zip(unique, counts[len(columns) + len(predicates) :], strict=True))
    results = {}
    for (kind, kwargs), (predicate, ps), n in zip(row_checks, predicates, found, strict=True):
        column = str(kwargs["column"])
        query = f"select {sql.quoted(column)} from {FRAME} where {predicate} limit {sql.EXAMPLES}"
        examples = [r[0] for r in connection.execute(query, ps).fetchall()] if n else []
        results[(kind, column)] = _shaped(kind, kwargs, int(rows), missing[column], int(n), examples)
    for kind, kwargs in plan.in_sql:
        column = str(kwargs["column"])
        if kind in sql.WHOLE_TABLE:
            n, examples = 0, []
            if distinct[column] < rows - missing[column]:  # some value occurs twice
                count_sql, examples_sql = sql.duplicates_sql(column, types[column], FRAME)
                n = int(connection.execute(count_sql).fetchone()[0])
                examples = [r[0] for r in connection.execute(examples_sql).fetchall()]
            results[(kind, column)] = _shaped(kind, kwargs, int(rows), missing[column], n, examples)
    return int(rows), missing, results


def _shaped(kind: str, kwargs, rows: int, absent: int, found: int, examples: list) -> tuple[bool, dict]:
    nonmissing = rows if kind == "expect_column_values_to_not_be_null" else rows - absent
    verdict = sql.passes(found, nonmissing, kwargs.get("mostly"))
    return verdict, sql.shaped_result(kind, rows, absent, found, examples)


def _write_pending(connection, settings, meta: StateMeta) -> None:
    """The next state: every row's hash except those of touched rows that failed a row-level check."""
    path, _ = state_paths(settings, meta.suite, pending=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection.execute(
        f"copy (select row_hash from {KEYS} "
        f"where {ROW} not in (select {ROW} from {TOUCHED} where {DIRTY})) "
        f"to '{_literal(path)}' (format parquet)"
    )
    write_pending_meta(settings, meta)


def _literal(path: Any) -> str:
    return str(path).replace("'", "''")
