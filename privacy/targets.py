"""Find every record of the person to erase: the warehouse identity graph, then silver.

The warehouse knows which source records were resolved to one unified customer
(`marts.customer_identity_map`) and their contact hashes (`intermediate.int_identity_records_unioned`).
Silver adds what arrived since the last build, or a person the warehouse never saw: one
hop from the known keys to the records that carry them, harvesting only the columns that
belong to that record (a shared cookie must not pull in its other users).
"""

from __future__ import annotations

from customer_platform.config import get_settings
from privacy.request import IDENTITY_COLUMNS, RECORD_ID_COLUMNS, ErasureTargets
from customer_platform.registry import get_registry

IDENTITY_MAP = "marts.customer_identity_map"
IDENTITY_RECORDS = "intermediate.int_identity_records_unioned"
#: Silver table -> columns of a matching row that belong to the person.
HARVESTED_COLUMNS: dict[str, tuple[str, ...]] = {
    "crm_customers": ("customer_id", "email_hash", "phone_hash", "email_sha256", "loyalty_id"),
    "web_order_lines": ("order_id",),
    "pos_order_lines": ("transaction_id",),
    "web_events": ("cookie_id",),
    "email_events": ("subscriber_id", "email_hash", "email_sha256"),
}


def _tables(con) -> set[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {r[0] for r in rows}


def expand_from_warehouse(targets: ErasureTargets) -> None:
    """Add the unified customers holding any known key, all their records and those records' keys."""
    from customer_platform.warehouse import connect_readonly

    if not get_settings().warehouse_path.exists():
        return
    con = connect_readonly()
    try:
        tables = _tables(con)
        if IDENTITY_MAP not in tables:
            return
        keys = sorted(targets.all_keys())
        by_contact = ""
        if IDENTITY_RECORDS in tables:
            by_contact = (
                f" or record_key in (select record_key from {IDENTITY_RECORDS} where email_hash in "
                "(select unnest($keys)) or phone_hash in (select unnest($keys)) "
                "or email_sha256 in (select unnest($keys)) or loyalty_id in (select unnest($keys)))"
            )
        unified = [
            r[0]
            for r in con.execute(
                f"select distinct unified_customer_id from {IDENTITY_MAP} "
                f"where source_record_id in (select unnest($keys)) "
                f"or unified_customer_id in (select unnest($keys)){by_contact} order by 1",
                {"keys": keys},
            ).fetchall()
        ]
        if not unified:
            return
        records = con.execute(
            f"select source, source_record_id, record_key from {IDENTITY_MAP} "
            "where unified_customer_id in (select unnest($ids)) order by 1, 2",
            {"ids": unified},
        ).fetchall()
        targets.unified_customer_ids = sorted(set(targets.unified_customer_ids) | set(unified))
        known = {tuple(r) for r in targets.records}
        targets.records += [[s, r] for s, r, _ in records if (s, r) not in known]
        for source, column in RECORD_ID_COLUMNS.items():
            targets.add(column, (r for s, r, _ in records if s == source))
        if IDENTITY_RECORDS in tables:
            contacts = con.execute(
                f"select email_hash, phone_hash, email_sha256, loyalty_id from {IDENTITY_RECORDS} "
                "where record_key in (select unnest($keys))",
                {"keys": [k for _, _, k in records]},
            ).fetchall()
            for i, column in enumerate(("email_hash", "phone_hash", "email_sha256", "loyalty_id")):
                targets.add(column, (row[i] for row in contacts))
    finally:
        con.close()


def expand_from_silver(targets: ErasureTargets) -> None:
    """Add the keys of silver records that carry one of the person's keys (one hop)."""
    import duckdb

    silver = get_settings().silver_dir
    con = duckdb.connect()
    try:
        # The CRM table first: its loyalty ids and hashes find POS and email records next.
        for table in [t for t in get_registry().silver_tables.values() if t in HARVESTED_COLUMNS]:
            files = sorted(str(p) for p in (silver / table).glob("ingest_date=*/*.parquet"))
            if not files:
                continue
            con.execute("create or replace temp table rows as select * from read_parquet($files, union_by_name=true)",
                        {"files": files})  # fmt: skip
            present = {r[0] for r in con.execute("select column_name from (describe rows)").fetchall()}
            match = [c for c in IDENTITY_COLUMNS if c in present]
            harvest = [c for c in HARVESTED_COLUMNS[table] if c in present]
            if not match or not harvest:
                continue
            where = " or ".join(f'"{c}" in (select unnest($keys))' for c in match)
            rows = con.execute(
                f"select distinct {', '.join(harvest)} from rows where {where}",
                {"keys": sorted(targets.all_keys())},
            ).fetchall()
            for i, column in enumerate(harvest):
                targets.add(column, (row[i] for row in rows))
    finally:
        con.close()
