"""Where gate results are kept: a JSON file per run and the `marts.dq_results` table."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from customer_platform.config import Settings
from customer_platform.warehouse_reader import connect_when_free
from expectations.results import GateResult

DQ_TABLE = "marts.dq_results"
DDL = f"""
create table if not exists {DQ_TABLE} (
    run_id varchar,
    logical_date date,
    gate varchar,
    suite varchar,
    expectation varchar,
    column_name varchar,
    severity varchar,
    success boolean,
    observed_value varchar
)
"""


def results_path(settings: Settings, gate: str, logical_date: str, run_id: str) -> Path:
    """`<dq_dir>/results/<gate>/<logical_date>/<run_id>.json` (run id made file-name safe)."""
    safe_run_id = re.sub(r"[^A-Za-z0-9._=-]+", "_", run_id).strip("._") or "run"
    return settings.dq_dir / "results" / gate / logical_date / f"{safe_run_id}.json"


def write_results_json(settings: Settings, result: GateResult) -> Path:
    """Write the full gate result (every outcome, notes, verdict) and return its path."""
    path = results_path(settings, result.gate, result.logical_date, result.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        **result.to_dict(),
        "results_path": str(path),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "outcomes": [o.as_dict() for o in result.outcomes],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


def write_dq_results(settings: Settings, result: GateResult) -> int:
    """Replace the rows of (gate, logical_date) in `marts.dq_results`; return the rows written.

    A partial run (`only_suites`) replaces only its own suites' rows. The writable connection
    is opened only for this transaction (DuckDB has one writer per file).
    """
    rows = [
        (
            result.run_id,
            result.logical_date,
            result.gate,
            o.suite,
            o.expectation,
            o.column,
            o.severity,
            o.success,
            o.observed_value,
        )
        for o in result.outcomes
    ]
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    connection = _connect_writable(settings.warehouse_path)
    try:
        connection.execute("create schema if not exists marts")
        connection.execute(DDL)
        connection.execute("begin transaction")
        scope, params = "gate = ? and logical_date = ?", [result.gate, result.logical_date]
        if result.partial:
            scope += " and list_contains(?, suite)"
            params.append(list(result.suites))
        connection.execute(f"delete from {DQ_TABLE} where {scope}", params)
        if rows:
            connection.executemany(f"insert into {DQ_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.execute("commit")
    finally:  # closing without commit rolls the transaction back
        connection.close()
    return len(rows)


def _connect_writable(path: Path) -> duckdb.DuckDBPyConnection:
    """Connect for writing, waiting while another process (a reader, a stage) holds the file lock."""
    return connect_when_free(path)
