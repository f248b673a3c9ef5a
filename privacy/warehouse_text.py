"""Replace one person's values inside free-text cells of the warehouse (after their rows are deleted).

    counts = scrub_warehouse_text(targets, needles)   # {"files": {"warehouse.duckdb:marts.dq_results": 2}}

The warehouse purge deletes every row with a cell that *is* one of the person's ids or
hashes. Free text that merely *mentions* one survives it: a data-quality observation
(`marts.dq_results.observed_value`: "0.1% unexpected, e.g. 'ann@example.com'") written before
the gate kept examples of personal columns out. Here every text cell of every table that
holds `@` or one of the exact needles is read and scrubbed like a text file
(`privacy.scrub`), in one transaction; the compaction that follows removes the old bytes.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from customer_platform.config import get_settings
from customer_platform.restricted_store import working_copy_if_any
from customer_platform.warehouse import release_dbt_connections
from privacy.matching import ValueMatcher
from privacy.scrub import TextScrubber
from privacy.targets import ErasureTargets
from privacy.warehouse_purge import SKIPPED_SCHEMAS


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and t.table_catalog = current_database() "
        "and c.table_schema not in (select unnest($skipped)) and c.data_type = 'VARCHAR' order by 1, 2, 3",
        {"skipped": list(SKIPPED_SCHEMAS)},
    ).fetchall()


def scrub_warehouse_text(targets: ErasureTargets, needles: Iterable[str] = ()) -> dict[str, dict[str, int]]:
    """Scrub the person's values out of every text cell; values replaced per table, under layer `files`."""
    settings = get_settings()
    scrubber = TextScrubber(ValueMatcher.for_targets(targets), needles)
    counts: dict[str, int] = {}
    for path in (settings.warehouse_path, working_copy_if_any(settings)):  # analysts' and restricted files
        if path is None or not path.exists():
            continue
        release_dbt_connections()
        con = duckdb.connect(str(path))
        try:
            con.execute("create temp table erase_needles (value varchar)")
            if scrubber.needles:
                con.executemany(
                    "insert into erase_needles values (?)", [[n.lower()] for n in scrubber.needles]
                )
            _scrub_tables(con, scrubber, path.name, counts)
        finally:
            con.close()
    return {"files": counts}


def _scrub_tables(
    con: duckdb.DuckDBPyConnection, scrubber: TextScrubber, name: str, counts: dict[str, int]
) -> None:
    """One transaction over every text column: all of it is scrubbed, or nothing (on error)."""
    con.execute("begin transaction")
    try:
        for schema, table, column in _text_columns(con):
            relation, col = f"{_quote(schema)}.{_quote(table)}", _quote(column)
            # Cheap pre-filter in SQL; the scrubber decides (whole tokens, hashes of emails and phones).
            candidates = con.execute(
                f"select distinct {col} from {relation} where contains({col}, '@') "
                f"or exists (select 1 from erase_needles n where contains(lower({col}), n.value))"
            ).fetchall()
            replaced = 0
            for (value,) in candidates:
                scrubbed, count = scrubber.scrub(value)
                if count:
                    con.execute(f"update {relation} set {col} = ? where {col} = ?", [scrubbed, value])
                    replaced += count
            if replaced:
                key = f"{name}:{schema}.{table}"
                counts[key] = counts.get(key, 0) + replaced
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
