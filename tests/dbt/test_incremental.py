"""Incremental delivery models: day-by-day builds, re-runs, backfills and re-ingests give the right marts.

All warehouses read the same silver (tests/dbt/generated_warehouse.py): a full refresh at
the last day, and one warehouse built incrementally with a copy after every step.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from customer_platform.config import get_settings
from customer_platform.pii_cipher import ENCRYPTED_CONTACT_COLUMNS, register_decrypt_function
from tests.dbt.generated_warehouse import (
    CORRECTED_DATE,
    FORWARD_DATES,
    LOGICAL_DATE,
    WITHDRAWN_DATE,
    restricted_beside,
)

COMPARED_SCHEMAS = ("marts", "pii")
#: Customer-level incremental models (macros/incremental_customers.sql), compared too.
CUSTOMER_INCREMENTAL_MODELS = {
    "intermediate": (
        "int_identity_records_survived_to_customers",
        "int_orders_aggregated_to_customers",
        "int_email_events_aggregated_to_customers",
        "int_web_events_aggregated_to_customers",
    ),
    "pii": ("customer_contacts", "customer_identifiers"),
}
#: The dbt invocation that last computed a row: differs between builds by design.
BUILD_COLUMNS = ("_built_in",)
#: Histories of builds: a day-by-day warehouse records each day's changes, a single build none.
HISTORY_TABLES = ("marts.customer_id_changes",)
DELIVERY_MODELS = (
    "base_web_orders__deliveries",
    "base_pos_orders__deliveries",
    "base_web_events__deliveries",
    "base_email_engagement__deliveries",
)


def _table_columns(con, database: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? and (schema_name in ? or (schema_name = 'intermediate' and table_name in ?)) "
        "and column_name not in ? order by column_index",
        [
            database,
            list(COMPARED_SCHEMAS),
            list(CUSTOMER_INCREMENTAL_MODELS["intermediate"]),
            list(BUILD_COLUMNS),
        ],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def differences(left: Path, right: Path) -> dict[str, tuple[int, int, int]]:
    """Per marts/pii table: (rows, rows only in left, rows only in right), multiset comparison.

    Doubles are compared to 9 decimals: the same sums taken in another row order may differ
    in the last bit, which is not a difference in the data.
    """
    con = duckdb.connect()
    try:
        # Contact values are encrypted with a fresh nonce per build: compare what they hold.
        register_decrypt_function(con, get_settings().pii_key)
        databases = {"l": left, "lr": restricted_beside(left), "r": right, "rr": restricted_beside(right)}
        for alias, path in databases.items():
            con.execute(f"attach '{path}' as {alias} (read_only)")
        tables = {**_table_columns(con, "l"), **_table_columns(con, "lr")}
        other = {**_table_columns(con, "r"), **_table_columns(con, "rr")}
        assert tables == other, "the two warehouses have different tables or columns"
        result = {}
        for table, columns in tables.items():
            if table in HISTORY_TABLES:
                continue
            select = ", ".join(_compared(table, c, t) for c, t in columns)
            catalog = "" if table.startswith("marts.") else "r"
            only = [
                con.execute(f"select count(*) from (select {select} from {a}{catalog}.{table} "
                            f"except all select {select} from {b}{catalog}.{table})").fetchone()[0]
                for a, b in (("l", "r"), ("r", "l"))
            ]  # fmt: skip
            rows = con.execute(f"select count(*) from l{catalog}.{table}").fetchone()[0]
            result[table] = (rows, *only)
        return result
    finally:
        con.close()


def _compared(table: str, column: str, data_type: str) -> str:
    if data_type in {"DOUBLE", "FLOAT"}:
        return f'round("{column}", 9)'
    if table == "pii.customer_contacts" and column in ENCRYPTED_CONTACT_COLUMNS:
        return f'pii_decrypt("{column}")'
    return f'"{column}"'


def assert_same_marts(left: Path, right: Path) -> None:
    """Every marts/pii table holds the same rows in both warehouses (and the marts are not empty)."""
    diff = differences(left, right)
    assert {
        "marts.customer_rfm",
        "marts.fct_orders",
        "marts.customer_identity_map",
        "pii.customer_contacts",
    } <= set(diff)
    assert all(rows > 0 for rows, _, _ in diff.values()), diff
    assert {t: d for t, d in diff.items() if d[1] or d[2]} == {}


def loaded_dates(compiled_sql: str) -> list[str] | None:
    """Ingest dates an incremental run of a delivery model loads ([] = none); None for a full load."""
    if re.search(r"where\s+cast\(ingest_date as date\) <= date", compiled_sql):
        return None
    if re.search(r"where\s+false\b", compiled_sql):
        return []
    listed = re.search(r"cast\(ingest_date as date\) in \(([^)]*)\)", compiled_sql)
    assert listed, compiled_sql
    return re.findall(r"date '(\d{4}-\d{2}-\d{2})'", listed.group(1))


def _query(path: Path, sql: str):
    """Rows of `sql` over a warehouse snapshot, its restricted database attached as `restricted`."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute(f"attach '{restricted_beside(path)}' as restricted (read_only)")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_full_build_passes_every_dbt_test(generated):
    statuses = {(r["unique_id"].split(".")[0], r["status"]) for r in generated.full_run_results["results"]}
    assert ("test", "pass") in statuses and ("model", "success") in statuses
    # Exposures (what leaves the warehouse) are in the build's graph and report no-op.
    assert {status for kind, status in statuses if kind != "exposure"} <= {"pass", "success"}, statuses


def test_day_by_day_builds_equal_a_full_refresh(generated):
    assert_same_marts(generated.snapshots[f"forward:{LOGICAL_DATE}"], generated.full_path)


def test_each_day_loads_only_its_new_partition(generated):
    first, *later = FORWARD_DATES
    assert loaded_dates(generated.base_model_sql[f"forward:{first}"]) is None  # the table is created
    for day in later:
        assert loaded_dates(generated.base_model_sql[f"forward:{day}"]) == [day.isoformat()]


def test_rerunning_a_date_loads_nothing_and_changes_nothing(generated):
    assert loaded_dates(generated.base_model_sql["rerun"]) == []
    assert_same_marts(generated.snapshots["rerun"], generated.snapshots[f"forward:{LOGICAL_DATE}"])


def test_backfilling_an_earlier_date_gives_that_dates_marts(generated):
    earlier = FORWARD_DATES[0]
    backfilled = generated.snapshots["backfill"]
    assert_same_marts(backfilled, generated.snapshots[f"forward:{earlier}"])
    # The later partition stays loaded for the next run; the marts ignore it.
    later_rows = _query(
        backfilled,
        f"select count(*) from restricted.staging.{DELIVERY_MODELS[0]} where _ingest_date = date '{LOGICAL_DATE}'",
    )[0][0]
    assert later_rows > 0
    assert _query(backfilled, "select max(logical_date) from marts.customer_rfm")[0][0] == earlier


def test_a_reingested_partition_replaces_the_loaded_one(generated):
    assert loaded_dates(generated.base_model_sql["corrected"]) == [CORRECTED_DATE.isoformat()]
    order = f"web:{generated.corrected_order_id}"
    sql = f"select is_cancelled from marts.fct_orders where order_id = '{order}'"
    assert _query(generated.snapshots["rerun"], sql) == [(False,)]
    assert _query(generated.snapshots["corrected"], sql) == [(True,)]


def test_a_partition_gone_from_silver_is_removed(generated):
    sql = (
        "select count(*) from restricted.staging.base_email_engagement__deliveries "
        f"where _ingest_date = date '{WITHDRAWN_DATE}'"
    )
    assert _query(generated.snapshots["rerun"], sql)[0][0] > 0
    assert _query(generated.snapshots["corrected"], sql)[0][0] == 0


@pytest.mark.parametrize("model", DELIVERY_MODELS)
def test_delivery_tables_hold_each_partition_once(generated, model):
    key = {"base_web_orders__deliveries": "order_id, line_number",
           "base_pos_orders__deliveries": "transaction_id, line_number"}.get(model, "event_id")  # fmt: skip
    duplicated = _query(
        generated.snapshots["corrected"],
        f"select count(*) from (select {key}, _ingest_date from restricted.staging.{model} "
        "group by all having count(*) > 1)",
    )[0][0]
    assert duplicated == 0


IDENTITY_MAP_SQL = "select * from marts.customer_identity_map order by record_key"
LINKED_SQL = (
    "select cluster_key, group_key, super_key, round(match_probability, 9), resolved_in_build "
    "from restricted.intermediate.int_identity_clusters_linked where cluster_key is not null order by cluster_key"
)


def test_incremental_identity_equals_re_linking_every_profile(generated):
    """Nights resolved incrementally give the partition and ids of re-linking every profile."""
    nightly, relinked = generated.snapshots["corrected"], generated.snapshots["relinked"]
    assert _query(nightly, IDENTITY_MAP_SQL) == _query(relinked, IDENTITY_MAP_SQL)
    nightly_links, all_links = _query(nightly, LINKED_SQL), _query(relinked, LINKED_SQL)
    assert [row[:4] for row in nightly_links] == [row[:4] for row in all_links]
    assert all(row[4] for row in all_links), "identity_full_rebuild re-links every profile"
    assert sum(row[4] for row in nightly_links) < len(nightly_links), "a night re-links only what changed"


def test_rerunning_a_date_re_links_nothing_and_keeps_its_id_history(generated):
    rerun, first = generated.snapshots["rerun"], generated.snapshots[f"forward:{LOGICAL_DATE}"]
    assert not any(row[4] for row in _query(rerun, LINKED_SQL))
    history = "select * from marts.customer_id_changes order by all"
    assert _query(rerun, history) == _query(first, history)


def _built_in(path: Path, table: str) -> list[str]:
    catalog = "restricted." if not table.startswith("marts.") else ""
    return [row[0] for row in _query(path, f"select _built_in from {catalog}{table}")]


CUSTOMER_TABLES = [
    f"{schema}.{name}" for schema, names in CUSTOMER_INCREMENTAL_MODELS.items() for name in names
]


@pytest.mark.parametrize("table", CUSTOMER_TABLES)
def test_a_night_recomputes_only_the_customers_its_changes_touch(generated, table):
    before = generated.snapshots[f"forward:{FORWARD_DATES[-2]}"]
    after = generated.snapshots[f"forward:{LOGICAL_DATE}"]
    earlier_builds = set(_built_in(before, table))
    rows = _built_in(after, table)
    recomputed = [build for build in rows if build not in earlier_builds]
    assert len(set(recomputed)) == 1, "one night, one build"
    assert 0 < len(recomputed) < len(rows), (table, len(recomputed), len(rows))


@pytest.mark.parametrize("table", CUSTOMER_TABLES)
def test_rerunning_a_date_recomputes_no_customer(generated, table):
    first = generated.snapshots[f"forward:{LOGICAL_DATE}"]
    assert sorted(_built_in(generated.snapshots["rerun"], table)) == sorted(_built_in(first, table))


def test_after_a_reingest_and_a_withdrawn_partition_the_nightly_marts_equal_a_full_refresh(generated):
    assert_same_marts(generated.snapshots["relinked"], generated.snapshots["refreshed"])
