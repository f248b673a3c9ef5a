"""What an erasure leaves behind: the suppression list and the audit record (no personal data).

The suppression list (`<lakehouse>/_suppression/suppression_keys.csv`) names the person's
ids and hashes under their silver column names, each as its suppression key (a keyed hash
that matches nothing else: `customer_platform.suppression` explains why); ingestion drops
every silver row sharing one, and the nightly sweep removes their raw rows. The audit
record (request id, time, rows removed per layer) goes to `audit.erasure_requests` and the
JSONL log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from customer_platform.config import get_settings
from customer_platform.suppression import read_suppression_entries, suppression_key
from customer_platform.warehouse import release_dbt_connections
from customer_platform.warehouse_tables import ensure_table
from privacy.atomic import write_csv_atomically
from privacy.columns import identity_column_names
from privacy.targets import ErasureTargets

AUDIT_TABLE = "audit.erasure_requests"
LAYERS = (
    "landing", "bronze", "quarantine", "silver", "warehouse", "segments", "activation", "exports", "files",
)  # fmt: skip


# Suppression list -----------------------------------------------------------------------------
def append_to_suppression_list(targets: ErasureTargets) -> int:
    """Add the suppression keys of the person's ids and hashes to the list; returns entries added.

    One line per (column, key) of the active sources' identity columns, so ingestion's
    `suppress` drops any row sharing one. The header grows with new columns as needed;
    existing lines are kept, and those of a legacy plain-value list move here keyed (the
    legacy file is then removed). Idempotent.
    """
    settings = get_settings()
    header, rows = read_suppression_entries()
    legacy = settings.suppression_path
    present = {(name, row[name]) for row in rows for name in header if row.get(name)}
    columns = identity_column_names()
    keyed = {(c, suppression_key(v)) for c in columns for v in targets.keys.get(c, ())}
    wanted = sorted(keyed - present)
    if not wanted and not legacy.exists():
        return 0
    header += [c for c in columns if c not in header and c in {w[0] for w in wanted}]
    rows = [{c: v} for c, v in dict.fromkeys((c, row[c]) for row in rows for c in header if row.get(c))]
    rows += [{column: key} for column, key in wanted]
    # Readers see the old list or the new one, never half of it.
    write_csv_atomically(settings.suppression_keys_path, header, rows)
    legacy.unlink(missing_ok=True)  # its entries are in the keyed list now
    return len(wanted)


# Audit ----------------------------------------------------------------------------------------
def record_erasure_audit(
    targets: ErasureTargets,
    counts: Mapping[str, Mapping[str, int]],
    suppression_added: int,
    compacted: bool = False,
) -> dict[str, Any]:
    """Append the audit record (no PII: ids of the request, counts) to the JSONL log and the warehouse.

    counts: layer -> table (or file) -> rows removed (values replaced, for `files`), as returned
    by the purges. compacted: the warehouse was rebuilt into a fresh file afterwards.
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
        "warehouse_compacted": bool(compacted),
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
        "warehouse_compacted": "boolean",
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
