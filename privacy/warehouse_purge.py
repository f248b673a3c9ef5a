"""Remove one person's rows from the warehouse and the restricted database, one transaction per file.

    counts = purge_warehouse_layers(targets)   # layer -> table -> rows removed

Every base table of every schema is searched (dbt and the models derive tables from several
sources): a row goes when any text cell holds one of the person's ids, or hashes (salted) to
one of their contact hashes. Only hashes and ids reach this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from customer_platform.config import get_settings
from customer_platform.restricted import CATALOG
from customer_platform.restricted_store import working_copy_if_any
from customer_platform.warehouse import release_dbt_connections
from privacy.targets import ErasureTargets

#: Schemas the warehouse purge never touches (the erasure audit itself, DuckDB catalogs).
SKIPPED_SCHEMAS = ("audit", "information_schema", "pg_catalog")
#: Tables written by `models/` rather than dbt: counted as the `segments` layer.
SEGMENT_TABLES = (
    "marts.customer_segments",
    "marts.segment_history",
    "marts.segment_inputs",
    "marts.customer_predictions",
    "marts.prediction_history",
    "marts.customer_predictive_segments",
    "marts.customer_prediction_drivers",
)
#: Tables written by `activation/`: counted as the `activation` layer.
ACTIVATION_TABLES = (
    "marts.audience_members",
    "marts.audience_membership_history",
    "marts.audience_destination_state",
    "marts.campaign_results",
    "marts.next_best_action",
    "marts.next_best_action_history",
    "marts.customer_recommendations",
)


def purge_warehouse_layers(targets: ErasureTargets) -> dict[str, dict[str, int]]:
    """Remove the person from every table of the warehouse and the restricted database; segment tables apart.

    Tables of the restricted database are counted as `restricted.<schema>.<table>`.
    """
    settings = get_settings()
    keys, hashes = targets.all_keys(), targets.contact_hashes()
    counts = purge_warehouse(keys, hashes, settings.hash_salt)
    working = working_copy_if_any(settings)
    restricted = purge_warehouse(keys, hashes, settings.hash_salt, working) if working else {}
    if working:
        restricted.update(forget_match_model(working))
    counts.update({f"{CATALOG}.{table}": n for table, n in restricted.items()})
    return {
        "warehouse": {t: n for t, n in counts.items() if t not in SEGMENT_TABLES + ACTIVATION_TABLES},
        "segments": {t: n for t, n in counts.items() if t in SEGMENT_TABLES},
        "activation": {t: n for t, n in counts.items() if t in ACTIVATION_TABLES},
    }


#: The kept identity match model: its term frequencies count attribute values (names, postcodes).
MATCH_MODEL = ("intermediate", "int_identity_match_model")


def forget_match_model(path: Path) -> dict[str, int]:
    """Empty the kept identity match model, so the next build trains it without the person.

    Its term-frequency rows hold attribute values, not the person's ids or hashes, so the
    row purge cannot find them; the next build re-links every profile with the new model.
    """
    import duckdb

    release_dbt_connections()
    con = duckdb.connect(str(path))
    try:
        schema, table = MATCH_MODEL
        present = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        if not present:
            return {}
        deleted = con.execute(f"delete from {_quote(schema)}.{_quote(table)}").fetchone()[0]
        con.execute("checkpoint")
    finally:
        con.close()
    return {f"{schema}.{table}": int(deleted)} if deleted else {}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_condition(columns: list[tuple[str, str]]) -> str:
    """SQL matching a row by any text column (identifier names only: values are parameters)."""
    parts = []
    for name, kind in columns:
        col = _quote(name)
        if kind == "VARCHAR":
            parts.append(f"{col} in (select value from erase_keys)")
            parts.append(f"sha256($salt || {col}) in (select value from erase_hashes)")
        elif kind == "VARCHAR[]":
            parts.append(f"list_has_any({col}, (select list(value) from erase_keys))")
            parts.append(
                f"list_has_any(list_transform({col}, lambda x: sha256($salt || x)), "
                "(select list(value) from erase_hashes))"
            )
    return " or ".join(parts)


def purge_warehouse(
    keys: Iterable[str], contact_hashes: Iterable[str], salt: str, path: Path | None = None
) -> dict[str, int]:
    """Delete the person's rows from every base table of every schema (except `audit`) of one database file.

    path: the database file (default the analysts' warehouse; the restricted database too).

    One transaction: a failure leaves the warehouse as it was. Returns rows removed per
    `schema.table`. Raw emails and phones stored in the warehouse are normalized already,
    so their salted hash is compared with the person's hashes.
    """
    import duckdb

    path = path or get_settings().warehouse_path
    if not path.exists():
        return {}
    release_dbt_connections()
    con = duckdb.connect(str(path))
    counts: dict[str, int] = {}
    try:
        con.execute("create temp table erase_keys (value varchar)")
        con.execute("create temp table erase_hashes (value varchar)")
        for table, values in (("erase_keys", keys), ("erase_hashes", contact_hashes)):
            rows = [[v] for v in sorted(set(values)) if v]
            if rows:  # a person known by ids only has no contact hashes
                con.executemany(f"insert into {table} values (?)", rows)
        columns = con.execute(
            "select c.table_schema, c.table_name, c.column_name, c.data_type "
            "from information_schema.columns c join information_schema.tables t "
            "using (table_catalog, table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' and t.table_catalog = current_database() "
            "and c.table_schema not in (select unnest($skipped)) "
            "and c.data_type in ('VARCHAR', 'VARCHAR[]') order by 1, 2, c.ordinal_position",
            {"skipped": list(SKIPPED_SCHEMAS)},
        ).fetchall()
        tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, kind in columns:
            tables.setdefault((schema, table), []).append((column, kind))
        con.execute("begin transaction")
        try:
            for (schema, table), cols in tables.items():
                deleted = con.execute(
                    f"delete from {_quote(schema)}.{_quote(table)} where {_row_condition(cols)}",
                    {"salt": salt},
                ).fetchone()[0]
                if deleted:
                    counts[f"{schema}.{table}"] = int(deleted)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("checkpoint")  # write the deletions into the file now, not at some later close
    finally:
        con.close()
    return counts
