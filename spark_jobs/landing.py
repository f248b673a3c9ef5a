"""Landing drops: find a date's files, map their headers onto the contract, read every line.

Headers (and a sample of JSON keys) are read in plain Python: it is one line per file and
tells the parser where each contract column sits, so schema drift is handled per file.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from spark_jobs.contracts import SourceContract
from spark_jobs.file_scan import FileScan, scan_file
from spark_jobs.transforms.parse import FileLayout
from spark_jobs.transforms.records import join_quoted_lines

JSON_SAMPLE_LINES = 200  # keys seen in this many lines define a JSON file's "header"

RAW_LINES_SCHEMA = StructType(
    [
        StructField("value", StringType()),
        StructField("_source_file", StringType()),
        StructField("ingest_date", StringType()),
        StructField("_block_start", LongType()),
        StructField("_row_id", LongType()),
    ]
)

_SPLITS_TYPE = "array<struct<_source_file: string, _block_start: bigint, _first_id: bigint, _offset: bigint>>"


@dataclass(frozen=True)
class DropFile:
    """One landing file of a drop, with its column layout, warnings and byte scan."""

    path: Path
    relative: str  # <source>/<date>/<name>: the `_source_file` lineage value
    ingest_date: str
    size: int
    layout: FileLayout
    warnings: tuple[str, ...] = ()
    scan: FileScan = FileScan()


@dataclass
class Drop:
    """A source's landing folder for one date."""

    source: str
    ingest_date: str
    folder: Path
    exists: bool
    files: list[DropFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _first_line(path: Path) -> str:
    with path.open("rb") as handle:
        line = handle.readline()
    return line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")


def _csv_layout(contract: SourceContract, path: Path, relative: str) -> tuple[FileLayout, list[str]]:
    header = next(csv.reader([_first_line(path)], delimiter=contract.delimiter), [])
    normalized = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for spec in contract.fields:
        for name in spec.landing_names:
            key = name.strip().lower()
            if key in normalized and normalized.index(key) not in columns.values():
                columns[spec.name] = normalized.index(key)
                break
    missing = [s.landing_names[0] for s in contract.fields if s.name not in columns]
    extra = [h for i, h in enumerate(header) if i not in columns.values()]
    missing_required = tuple(
        s.landing_names[0] for s in contract.fields if s.required and s.name not in columns
    )
    warnings = []
    if missing or extra:
        warnings.append(f"schema drift in {relative}: missing columns {missing}, extra columns {extra}")
    if missing_required:
        warnings.append(
            f"missing required columns {list(missing_required)} in {relative}: whole file quarantined"
        )
    return FileLayout(columns=columns, width=len(header), missing_required=missing_required), warnings


def _json_layout(contract: SourceContract, path: Path, relative: str) -> tuple[FileLayout, list[str]]:
    seen: dict[str, str] = {}  # lower-case key -> key as written
    with path.open("rb") as handle:
        for _, line in zip(range(JSON_SAMPLE_LINES), handle, strict=False):
            try:
                record = json.loads(line.decode("utf-8", errors="replace").lstrip("\ufeff"))
            except ValueError:
                continue
            if isinstance(record, dict):
                for key in record:
                    seen.setdefault(str(key).strip().lower(), str(key))
    columns: dict[str, str] = {}
    matched: set[str] = set()
    for spec in contract.fields:
        hits = [name.strip().lower() for name in spec.landing_names if name.strip().lower() in seen]
        # Keys absent from the sample may still occur later: look them up by their contract name.
        columns[spec.name] = seen[hits[0]] if hits else spec.landing_names[0]
        matched.update(hits[:1])
    missing = [s.landing_names[0] for s in contract.fields if columns[s.name] not in seen.values()]
    extra = [key for low, key in seen.items() if low not in matched]
    warnings = []
    if seen and (missing or extra):
        warnings.append(f"schema drift in {relative}: missing columns {missing}, extra columns {extra}")
    # JSON has no header: rows without a required key are quarantined one by one instead.
    return FileLayout(columns=columns), warnings


def discover_drop(contract: SourceContract, landing_dir: Path, ingest_date: str) -> Drop:
    """List a date's drop folder; never raises for missing folders or odd files."""
    folder = landing_dir / contract.name / ingest_date
    drop = Drop(source=contract.name, ingest_date=ingest_date, folder=folder, exists=folder.is_dir())
    if not drop.exists:
        drop.warnings.append(f"no drop for this date: {contract.name}/{ingest_date}/ does not exist")
        return drop
    for path in sorted(folder.iterdir()):
        relative = f"{contract.name}/{ingest_date}/{path.name}"
        if path.name.startswith((".", "_")):
            continue  # hidden and marker files (_SUCCESS, .crc) are not data
        if path.is_dir() or not path.name.lower().endswith(contract.suffixes):
            drop.warnings.append(f"ignored {relative}: not a {'/'.join(contract.suffixes)} file")
            continue
        size = path.stat().st_size
        if size == 0:  # named as an `empty_file` anomaly in the manifest
            drop.files.append(DropFile(path, relative, ingest_date, 0, FileLayout()))
            continue
        reader = _csv_layout if contract.format == "csv" else _json_layout
        layout, warnings = reader(contract, path, relative)
        scan = scan_file(path, '"' if contract.format == "csv" else None)
        drop.files.append(DropFile(path, relative, ingest_date, size, layout, tuple(warnings), scan))
    if not drop.files:
        drop.warnings.append(f"drop folder {contract.name}/{ingest_date}/ has no data files")
    return drop


def _glob_escaped(path: Path) -> str:
    # Spark treats load paths as Hadoop globs; a literal file name must not expand.
    return re.sub(r"([\\*?\[\]{}])", r"\\\1", str(path))


def _scan_lines(spark: SparkSession, f: DropFile) -> DataFrame:
    reader = spark.read if f.scan.line_sep is None else spark.read.option("lineSep", f.scan.line_sep)
    return reader.text(_glob_escaped(f.path)).select(
        "value",
        F.lit(f.relative).alias("_source_file"),
        F.lit(f.ingest_date).alias("ingest_date"),
        F.col("_metadata.file_block_start").alias("_block_start"),
    )


def read_raw_lines(spark: SparkSession, files: list[DropFile]) -> DataFrame:
    """Every record of the non-empty files, with file, date and position ids.

    A record is a physical line, except in a CSV file with quoted line breaks, where it is
    the lines one quoted field spans (`transforms.records`). Lines are decoded leniently
    (bad bytes never fail the read). Each file is its own scan so its lineage values are
    constants rather than parsed from every row's path; `_block_start` and `_row_id` let
    `number_lines` recover line numbers within a file.
    """
    scans, joined = [], []
    for f in [f for f in files if f.size > 0]:
        lines = _scan_lines(spark, f)
        if f.scan.open_quotes:
            joined.append(join_quoted_lines(lines, f.scan.line_sep or "\n"))
        elif f.scan.line_sep == "\n":  # a lone "\r" stays in its line; a "\r\n" ending goes
            scans.append(lines.withColumn("value", F.regexp_replace("value", "\r\\z", "")))
        else:
            scans.append(lines)
    if scans:
        # Ids are unique across the union's partitions and increase within each split.
        lines = reduce(DataFrame.unionAll, scans)
        joined.insert(0, lines.select("*", F.monotonically_increasing_id().alias("_row_id")))
    if not joined:
        return spark.createDataFrame([], RAW_LINES_SCHEMA)
    return reduce(DataFrame.unionByName, joined)


def number_lines(lines: DataFrame, *keys: Column) -> tuple[DataFrame, dict[str, int], list[dict]]:
    """Add `_line_number` (1-based, per file) to persisted lines.

    Returns the numbered frame, physical lines per file, and the grouped counts by
    (`_source_file`, `ingest_date`, *keys) with a `header` flag on the group holding each
    file's first line, all from one aggregation. Rows of one file split keep their order
    and consecutive ids within a Spark partition, so a line's number is its offset from the
    split's first id plus the lines of earlier splits. `lines` must be persisted: ids are
    assigned once.
    """
    stats = (
        lines.groupBy("_source_file", "ingest_date", "_block_start", *keys)
        .agg(F.min("_row_id").alias("_first_id"), F.count(F.lit(1)).alias("_lines"))
        .collect()
    )
    blocks: dict[tuple[str, int], list[int]] = {}
    for row in stats:
        block = blocks.setdefault((row["_source_file"], row["_block_start"]), [row["_first_id"], 0])
        block[0] = min(block[0], row["_first_id"])
        block[1] += row["_lines"]
    offsets, per_file, first_line = [], {}, {}
    for (name, start), (first_id, count) in sorted(blocks.items()):
        done = per_file.get(name, 0)
        if done == 0:
            first_line[name] = first_id
        offsets.append((name, start, first_id, done))
        per_file[name] = done + count
    groups = [
        {**row.asDict(), "header": first_line.get(row["_source_file"]) == row["_first_id"]} for row in stats
    ]
    # Built from literals, not `createDataFrame(list)`: a Python-list frame is a Python RDD,
    # and every query reading it would start Python workers.
    splits = lines.sparkSession.range(1).select(
        F.inline(
            F.array(
                *[
                    F.struct(
                        F.lit(name).alias("_source_file"),
                        F.lit(start).cast("long").alias("_block_start"),
                        F.lit(first_id).cast("long").alias("_first_id"),
                        F.lit(offset).cast("long").alias("_offset"),
                    )
                    for name, start, first_id, offset in offsets
                ]
            ).cast(_SPLITS_TYPE)
        )
    )
    numbered = lines.join(F.broadcast(splits), ["_source_file", "_block_start"]).select(
        "*", (F.col("_row_id") - F.col("_first_id") + F.col("_offset") + 1).alias("_line_number")
    )
    return numbered.drop("_block_start", "_row_id", "_first_id", "_offset"), per_file, groups
