"""Remove one person's rows from the lake: landing, bronze, quarantine and silver.

    counts = purge_lakehouse(targets)          # the warehouse: privacy.warehouse_purge

Rows are found by value, not by a per-table column list (`privacy.matching`): any cell or
raw line holding one of the person's ids or hashes, or an email or phone hashing to one.
The lakehouse is searched where the active sources' contracts put their data (landing and
bronze/quarantine per source, silver per silver table). Only hashes and ids reach this module;
raw contact fields of the request never leave the resolver.

Rewrites are crash-safe: landing files are replaced atomically, lakehouse partitions are
staged and swapped in with `customer_platform.partitions` (the same two-rename swap ingestion
uses).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from customer_platform import partitions as swap
from customer_platform.config import get_settings
from customer_platform.registry import get_registry
from customer_platform.suppression import suppressed_keys
from privacy.atomic import write_text_atomically
from privacy.matching import ValueMatcher
from privacy.targets import ErasureTargets

#: Lineage columns that name files and runs, never a person.
_LINEAGE = frozenset({"_source_file", "_run_id", "_reason"})


def purge_lakehouse(targets: ErasureTargets) -> dict[str, dict[str, int]]:
    """Remove the person from landing, bronze, quarantine and silver; counts per layer and table."""
    return _purge_raw_and_lakehouse(ValueMatcher.for_targets(targets), ("bronze", "quarantine", "silver"))


def sweep_suppressed(ingest_date: str) -> dict[str, dict[str, int]]:
    """Remove every suppressed person from one date's landing, bronze and quarantine.

    Ingestion keeps raw deliveries whole (bronze and quarantine reconcile with landing) and
    suppresses from silver on; run this after a date is ingested so a later delivery that
    still names an erased person does not keep their raw rows either.
    """
    keys = suppressed_keys()
    if not keys:
        return {}
    matcher = ValueMatcher.for_suppression_keys(keys)
    return _purge_raw_and_lakehouse(matcher, ("bronze", "quarantine"), ingest_date)


def _purge_raw_and_lakehouse(
    matcher: ValueMatcher, layers: tuple[str, ...], ingest_date: str | None = None
) -> dict[str, dict[str, int]]:
    counts = {"landing": purge_landing(matcher, ingest_date)}
    for layer in layers:
        counts[layer] = purge_lakehouse_layer(layer, matcher, ingest_date)
    return counts


# Landing ------------------------------------------------------------------------------------
def purge_landing(matcher: ValueMatcher, ingest_date: str | None = None) -> dict[str, int]:
    """Remove the person's lines from every known source's landing files (or one date's).

    Every contract in the contracts folder counts, active or not: data a source delivered
    before it left CDP_SOURCES is still the person's. Returns lines removed per source.
    Headers of CSV sources are kept; each file is replaced atomically. Folders of no contract
    (the generator's `_truth`) are left alone.
    """
    counts: dict[str, int] = {}
    landing = get_settings().landing_dir
    for contract in get_registry().contracts.values():
        source_dir = landing / contract.name
        drop = source_dir / ingest_date if ingest_date else source_dir
        if not drop.is_dir():
            continue
        files = sorted(p for p in drop.rglob("*") if p.is_file() and not p.name.startswith("."))
        # Only files ingestion reads as CSV have a header line to keep.
        headed = {p for p in files if contract.format == "csv" and p.suffix.lower() in contract.suffixes}
        removed = sum(_purge_text_file(path, matcher, keep_first=path in headed) for path in files)
        if removed:
            counts[contract.name] = removed
    return counts


def _purge_text_file(path: Path, matcher: ValueMatcher, keep_first: bool) -> int:
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        lines = handle.readlines()
    kept = [line for i, line in enumerate(lines) if (keep_first and i == 0) or not matcher.line(line)]
    if len(kept) == len(lines):
        return 0
    write_text_atomically(path, "".join(kept))
    return len(lines) - len(kept)


# Lakehouse ----------------------------------------------------------------------------------
def layer_tables(layer: str) -> dict[str, Path]:
    """Table name -> folder of every known source (active or not) in one lakehouse layer."""
    settings = get_settings()
    root = {
        "bronze": settings.bronze_dir,
        "quarantine": settings.quarantine_dir,
        "silver": settings.silver_dir,
    }[layer]
    # Ingestion writes bronze and quarantine per source, silver per silver table.
    contracts = get_registry().contracts.values()
    names = [c.silver_table if layer == "silver" else c.name for c in contracts]
    return {name: root / name for name in names}


def purge_lakehouse_layer(
    layer: str, matcher: ValueMatcher, ingest_date: str | None = None
) -> dict[str, int]:
    """Remove matching rows from every known source's tables of one layer (bronze, quarantine or silver).

    Returns rows removed per table. Only partitions holding the person are rewritten;
    `ingest_date` limits the scan to that date's partitions.
    """
    counts: dict[str, int] = {}
    for name, table_dir in layer_tables(layer).items():
        removed = purge_table(table_dir, matcher, ingest_date) if table_dir.is_dir() else 0
        if removed:
            counts[name] = removed
    return counts


def purge_table(table_dir: Path, matcher: ValueMatcher, ingest_date: str | None = None) -> int:
    """Rewrite the partitions of one table that hold matching rows; returns rows removed.

    A crashed run's leftovers are recovered first (an old partition moved aside comes back, so
    it is searched too); the swap's own `_staging`/`_trash` copies are deleted before returning.
    """
    swap.recover(table_dir, [])  # stale leftovers of dead runs only: a live run's are its own
    partitions = sorted(p for p in table_dir.glob(f"ingest_date={ingest_date or '*'}") if p.is_dir())
    dates = [p.name.split("=", 1)[1] for p in partitions]
    token = f"erasure.{uuid.uuid4().hex[:12]}"
    swap.begin(token)
    removed, staged = 0, []
    try:
        swap.write_owner(table_dir / swap.STAGING / token, token, dates)  # before anything is staged
        for partition, ingest_date in zip(partitions, dates, strict=True):
            kept, dropped = _filter_partition(partition, matcher)
            if not dropped:
                continue
            _stage(kept, table_dir / swap.STAGING / token / partition.name, partition)
            removed += dropped
            staged.append(ingest_date)
        if staged:
            swap.publish_partitions(table_dir, token, staged)
    finally:
        swap.recover(table_dir, [], only_token=token)
        swap.end(token)
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


# Warehouse ----------------------------------------------------------------------------------
