"""What an erasure leaves behind: the suppression list and the audit record (no personal data).

The suppression list (`<lakehouse>/_suppression/suppression_list.csv`) names the person's
ids and hashes under their silver column names; ingestion drops every silver row sharing
one, and the nightly sweep removes their raw rows. The audit record (request id, time,
rows removed per layer) goes to `audit.erasure_requests` and the JSONL log.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from customer_platform.config import get_settings
from customer_platform.suppression import read_suppression_entries
from customer_platform.warehouse import release_dbt_connections
from customer_platform.warehouse_tables import ensure_table
from privacy.columns import identity_column_names
from privacy.targets import ErasureTargets

AUDIT_TABLE = "audit.erasure_requests"
LAYERS = ("landing", "bronze", "quarantine", "silver", "warehouse", "segments", "activation", "exports")


# Suppression list -----------------------------------------------------------------------------
def append_to_suppression_list(targets: ErasureTargets) -> int:
    """Add the person's ids and hashes to the suppression list; returns entries added.

    One line per (column, value) of the active sources' identity columns, so ingestion's
    `suppress` drops any row sharing one. The header grows with new columns as needed;
    existing lines are kept. Idempotent.
    """
    path = get_settings().suppression_path
    header, rows = read_suppression_entries(path)
    present = {(name, row[name]) for row in rows for name in header if row.get(name)}
    columns = identity_column_names()
    wanted = sorted((c, v) for c in columns for v in targets.keys.get(c, ()) if (c, v) not in present)
    if not wanted:
        return 0
    header += [c for c in columns if c not in header and c in {w[0] for w in wanted}]
    rows += [{column: value} for column, value in wanted]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)  # readers see the old list or the new one, never half of it
    return len(wanted)


def suppressed_targets(path: Path | None = None) -> ErasureTargets:
    """Every suppressed person at once, as one set of targets (for the nightly sweep)."""
    targets = ErasureTargets("suppression-sweep")
    for row in read_suppression_entries(path or get_settings().suppression_path)[1]:
        for column, value in row.items():
            targets.add(column, [value])
    return targets


# Audit ----------------------------------------------------------------------------------------
def record_erasure_audit(
    targets: ErasureTargets, counts: Mapping[str, Mapping[str, int]], suppression_added: int
) -> dict[str, Any]:
    """Append the audit record (no PII: ids of the request, counts) to the JSONL log and the warehouse.

    counts: layer -> table -> rows removed, as returned by the purges.
    """
    settings = get_settings()
    removed = {layer: int(sum(counts.get(layer, {}).values())) for layer in LAYERS}
    record = {
        "request_id": targets.request_id,
        "requested_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "status": "erased" if any(removed.values()) or suppression_added else "already_erased",
        "unified_customers": len(targets.unified_customer_ids),
        "source_records": len(targets.records),
        "suppression_entries_added": suppression_added,
        **{f"{layer}_removed": n for layer, n in removed.items()},
        "removed_by_table": {layer: dict(counts.get(layer, {})) for layer in LAYERS},
    }
    path = settings.erasure_audit_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    _append_audit_row(record)
    return record


def _append_audit_row(record: dict[str, Any]) -> None:
    import duckdb

    settings = get_settings()
    columns = {
        "request_id": "varchar", "requested_at": "timestamptz", "status": "varchar",
        "unified_customers": "integer", "source_records": "integer", "suppression_entries_added": "integer",
        **{f"{layer}_removed": "bigint" for layer in LAYERS}, "removed_by_table": "json",
    }  # fmt: skip
    values = [
        json.dumps(record[c], sort_keys=True) if c == "removed_by_table" else record[c] for c in columns
    ]
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    release_dbt_connections()
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        ensure_table(con, AUDIT_TABLE, columns)  # an older audit table gains the newer layers' columns
        placeholders = ", ".join("?" for _ in columns)
        con.execute(f"insert into {AUDIT_TABLE} ({', '.join(columns)}) values ({placeholders})", values)
    finally:
        con.close()
