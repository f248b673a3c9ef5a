"""Remove one person's rows from every layer: landing, bronze, quarantine, silver, warehouse.

Rows are found by value, not by a per-table column list: a value matches when it is one of
the person's keys (record ids, CRM ids, loyalty ids, cookie ids, hashes, unified ids) or
when it is an email or phone whose salted hash is one of the person's hashes. Raw values
are normalized with the same Python twins ingestion uses, so `ALICE@X.COM ` in a landing
line matches the hash of `alice@x.com` in silver. Only hashes and ids reach this module;
raw contact fields of the request never leave the resolver.

Rewrites are crash-safe: landing files are replaced atomically, lakehouse partitions are
staged and swapped in with `spark_jobs.lakehouse` (the same two-rename swap ingestion
uses), and the warehouse is purged in one DuckDB transaction.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from customer_platform.config import get_settings
from spark_jobs import lakehouse
from spark_jobs.reference_data import countries
from spark_jobs.transforms.standardize import (
    normalize_email_py,
    normalize_phone_py,
    salted_sha256_py,
    sha256_py,
)

#: Schemas the warehouse purge never touches (the erasure audit itself, DuckDB catalogs).
SKIPPED_SCHEMAS = ("audit", "information_schema", "pg_catalog")
#: Tables written by `models/` rather than dbt: counted as the `segments` layer.
SEGMENT_TABLES = ("marts.customer_segments", "marts.segment_history")
#: Lineage columns that name files and runs, never a person.
_LINEAGE = frozenset({"_source_file", "_run_id", "_reason"})
_TOKEN_SPLIT = re.compile(r'[,"\t;{}\[\]|]')
_PHONE_LIKE = re.compile(r"^\+?[0-9 ().\-]{7,24}$")


class ValueMatcher:
    """Tells whether a raw value or a raw delivered line belongs to the person."""

    def __init__(
        self, keys: Iterable[str], email_hashes: Iterable[str], phone_hashes: Iterable[str], salt: str
    ):
        self.keys = {k for k in keys if k}
        self.email_hashes = {h for h in email_hashes if h}
        self.phone_hashes = {h for h in phone_hashes if h}
        self.salt = salt
        # National phone numbers only become E.164 with their country: try every known one.
        self._phone_countries = [None, *sorted(countries())]

    @classmethod
    def for_targets(cls, targets) -> ValueMatcher:
        """The matcher of an `ErasureTargets`: its ids and its salted contact hashes."""
        email, phone = targets.keys.get("email_hash", ()), targets.keys.get("phone_hash", ())
        return cls(targets.all_keys(), email, phone, get_settings().hash_salt)

    def value(self, raw: object) -> bool:
        """True when one value (a cell) is a key, or an email/phone hashing to one."""
        if not isinstance(raw, str):
            return False
        text = raw.strip()
        if not text:
            return False
        if text in self.keys:
            return True
        if "@" in text:
            email = normalize_email_py(text)
            return email is not None and (
                salted_sha256_py(email, self.salt) in self.email_hashes or sha256_py(email) in self.keys
            )
        if self.phone_hashes and _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 7:
            for country in self._phone_countries:
                phone = normalize_phone_py(text, country)
                if phone is not None and salted_sha256_py(phone, self.salt) in self.phone_hashes:
                    return True
        return False

    def line(self, raw: str | None) -> bool:
        """True when any field of a raw CSV or JSON line matches (quoting is ignored)."""
        return bool(raw) and any(self.value(token) for token in _TOKEN_SPLIT.split(raw))


# Landing ------------------------------------------------------------------------------------
def purge_landing(matcher: ValueMatcher, ingest_date: str | None = None) -> dict[str, int]:
    """Remove the person's lines from every landing file (or one date's); returns lines removed per source.

    CSV headers are kept. Folders starting with `_` (the generator's ground truth) are not
    platform data and are left alone. Each file is replaced atomically.
    """
    counts: dict[str, int] = {}
    landing = get_settings().landing_dir
    if not landing.is_dir():
        return counts
    for source_dir in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith("_")):
        removed = 0
        drops = [source_dir / ingest_date] if ingest_date else [source_dir]
        files = sorted(p for d in drops for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))
        for path in files:
            removed += _purge_text_file(path, matcher, keep_first=path.suffix.lower() in {".csv", ".txt"})
        if removed:
            counts[source_dir.name] = removed
    return counts


def _purge_text_file(path: Path, matcher: ValueMatcher, keep_first: bool) -> int:
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        lines = handle.readlines()
    kept = [line for i, line in enumerate(lines) if (keep_first and i == 0) or not matcher.line(line)]
    if len(kept) == len(lines):
        return 0
    tmp = path.with_name(f".{path.name}.{os.getpid()}.erasure")
    with tmp.open("w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        handle.writelines(kept)
    os.replace(tmp, path)
    return len(lines) - len(kept)


# Lakehouse ----------------------------------------------------------------------------------
def purge_lakehouse_layer(
    layer_dir: Path, matcher: ValueMatcher, ingest_date: str | None = None
) -> dict[str, int]:
    """Remove matching rows from every table of one layer (bronze, quarantine or silver).

    Returns rows removed per table. Only partitions holding the person are rewritten;
    `ingest_date` limits the scan to that date's partitions.
    """
    counts: dict[str, int] = {}
    if not layer_dir.is_dir():
        return counts
    for table_dir in sorted(p for p in layer_dir.iterdir() if p.is_dir() and not p.name.startswith("_")):
        removed = purge_table(table_dir, matcher, ingest_date)
        if removed:
            counts[table_dir.name] = removed
    return counts


def purge_table(table_dir: Path, matcher: ValueMatcher, ingest_date: str | None = None) -> int:
    """Rewrite the partitions of one table that hold matching rows; returns rows removed."""
    partitions = sorted(p for p in table_dir.glob(f"ingest_date={ingest_date or '*'}") if p.is_dir())
    dates = [p.name.split("=", 1)[1] for p in partitions]
    token = f"erasure.{uuid.uuid4().hex[:12]}"
    lakehouse.begin(token)
    removed, staged = 0, []
    try:
        lakehouse.recover(table_dir, dates)  # a crashed run's leftovers may hold old rows
        for partition, ingest_date in zip(partitions, dates, strict=True):
            kept, dropped = _filter_partition(partition, matcher)
            if not dropped:
                continue
            _stage(kept, table_dir / lakehouse.STAGING / token / partition.name, partition)
            removed += dropped
            staged.append(ingest_date)
        if staged:
            lakehouse._write_owner(table_dir / lakehouse.STAGING / token, token, staged)
            lakehouse.publish_partitions(table_dir, token, staged)
    finally:
        lakehouse.recover(table_dir, [], only_token=token)
        lakehouse.end(token)
    return removed


def _filter_partition(partition: Path, matcher: ValueMatcher) -> tuple[pa.Table | None, int]:
    files = sorted(partition.glob("*.parquet"))
    if not files:
        return None, 0
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    mask = [False] * table.num_rows
    for name in table.column_names:
        if name in _LINEAGE or not pa.types.is_string(table.schema.field(name).type):
            continue
        for i, value in enumerate(table.column(name).to_pylist()):
            if not mask[i] and (matcher.line(value) if name == "_raw_line" else matcher.value(value)):
                mask[i] = True
    dropped = sum(mask)
    if not dropped:
        return None, 0
    return table.filter(pa.array([not m for m in mask])), dropped


def _stage(table: pa.Table, target: Path, original: Path) -> None:
    """Write like Spark does (INT96 timestamps, zstd), so Spark and DuckDB read it unchanged."""
    target.mkdir(parents=True, exist_ok=True)
    sample = pq.ParquetFile(next(original.glob("*.parquet")))
    int96 = any(sample.schema.column(i).physical_type == "INT96" for i in range(len(sample.schema)))
    pq.write_table(
        table,
        target / "part-00000-erasure.zstd.parquet",
        compression="zstd",
        use_deprecated_int96_timestamps=int96,
    )


def sweep_suppressed(ingest_date: str) -> dict[str, dict[str, int]]:
    """Remove every suppressed person from one date's landing, bronze and quarantine.

    Ingestion keeps raw deliveries whole (bronze and quarantine reconcile with landing) and
    suppresses from silver on; run this after a date is ingested so a later delivery that
    still names an erased person does not keep their raw rows either.
    """
    from privacy.request import ErasureTargets, read_suppression_entries

    settings = get_settings()
    targets = ErasureTargets("suppression-sweep")
    for row in read_suppression_entries(settings.suppression_path)[1]:
        for column, value in row.items():
            targets.add(column, [value])
    if not targets.keys:
        return {}
    matcher = ValueMatcher.for_targets(targets)
    return {
        "landing": purge_landing(matcher, ingest_date),
        "bronze": purge_lakehouse_layer(settings.bronze_dir, matcher, ingest_date),
        "quarantine": purge_lakehouse_layer(settings.quarantine_dir, matcher, ingest_date),
    }


# Warehouse ----------------------------------------------------------------------------------
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


def purge_warehouse(keys: Iterable[str], contact_hashes: Iterable[str], salt: str) -> dict[str, int]:
    """Delete the person's rows from every base table of every schema (except `audit`).

    One transaction: a failure leaves the warehouse as it was. Returns rows removed per
    `schema.table`. Raw emails and phones stored in the warehouse are normalized already,
    so their salted hash is compared with the person's hashes.
    """
    import duckdb

    from customer_platform.warehouse import release_dbt_connections

    path = get_settings().warehouse_path
    if not path.exists():
        return {}
    release_dbt_connections()
    con = duckdb.connect(str(path))
    counts: dict[str, int] = {}
    try:
        con.execute("create temp table erase_keys (value varchar)")
        con.execute("create temp table erase_hashes (value varchar)")
        con.executemany("insert into erase_keys values (?)", [[k] for k in sorted(set(keys)) if k])
        con.executemany(
            "insert into erase_hashes values (?)", [[h] for h in sorted(set(contact_hashes)) if h]
        )
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
