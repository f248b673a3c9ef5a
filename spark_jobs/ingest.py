"""Ingest landing drops into bronze, quarantine and silver partitions, one `ingest_date` each.

    python -m spark_jobs.ingest --source <name> --date 2026-06-03 [--run-id X]
    python -m spark_jobs.ingest --all-sources --start 2026-06-01 --end 2026-06-30

Extract (landing files, read as text so every line is kept), transform (pure functions in
`spark_jobs.transforms`), load (staged partitions swapped in by `spark_jobs.lakehouse`).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from customer_platform.cli_args import iso_date, settings_or_exit
from customer_platform.config import Settings, get_settings, parse_iso_date
from customer_platform.reference_data import fx_rates_to
from customer_platform.restricted_store import restrict_new_files
from spark_jobs import anomalies, lakehouse, plausibility, progress, retention
from spark_jobs.contracts import QUARANTINE_SCHEMA, SourceContract, bronze_schema, get_contract, get_registry
from spark_jobs.landing import Drop, discover_drop, number_lines, read_raw_lines
from spark_jobs.manifest import QuarantineThresholdExceeded, build_manifest, count_groups, file_entries
from spark_jobs.transforms.lineage import add_lineage
from spark_jobs.transforms.parse import parse_lines
from spark_jobs.transforms.silver import SilverContext, suppress, to_silver

__all__ = ["QuarantineThresholdExceeded", "ingest_dates", "ingest_source", "main"]


def _token(run_id: str) -> str:
    # Unique per attempt: an Airflow retry reuses its run id but must not reuse a folder.
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', run_id)[:80]}.{uuid.uuid4().hex[:8]}"


def _parse_drop(spark: SparkSession, contract: SourceContract, drops: list[Drop]):
    """Numbered, typed data rows (header lines removed), the cached frame, records per file, counts."""
    files = [f for d in drops for f in d.files]
    layouts = {f.relative: f.layout for f in files if f.size > 0}
    lines = read_raw_lines(spark, files)
    parsed = parse_lines(lines, contract, layouts).persist()
    # One aggregation numbers the lines and counts rows per file and quarantine reason.
    kind = F.trim(F.regexp_extract("_reason", r"^([^:;]*)", 1))
    numbered, lines_per_file, groups = number_lines(
        parsed, F.col("_reason").isNotNull().alias("quarantined"), kind.alias("reason")
    )
    if contract.format == "csv":
        numbered = numbered.where(F.col("_line_number") > 1)
        for group in groups:
            group["_lines"] -= group["header"]
    return numbered, parsed, lines_per_file, count_groups(groups)


def _publish(df: DataFrame, table_dir: Path, token: str, dates: list[str], layer: str) -> None:
    lakehouse.stage_partitions(df, table_dir, token, dates)
    lakehouse.failpoint(f"before_publish_{layer}")
    lakehouse.publish_partitions(table_dir, token, dates)


def _run(
    contract: SourceContract, dates: list[str], run_id: str, spark: SparkSession, settings: Settings
) -> list[dict[str, Any]]:
    started, ingested_at = time.monotonic(), datetime.now(UTC)
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # naive timestamps are parsed as UTC wall time
    token = _token(run_id)
    dirs = {
        "bronze": settings.bronze_dir / contract.name,
        "quarantine": settings.quarantine_dir / contract.name,
        "silver": settings.silver_dir / contract.silver_table,
    }
    drops = [discover_drop(contract, settings.landing_dir, d) for d in dates]
    present = [d.ingest_date for d in drops if d.exists]
    progress.log_drops(contract.name, drops, settings.landing_dir)
    manifests = {
        d.ingest_date: build_manifest(
            d,
            silver_table=contract.silver_table,
            run_id=run_id,
            files=[],
            reasons={},
            max_rate=contract.quarantine_limit(settings.max_quarantine_rate),
        )
        for d in drops
    }
    lakehouse.begin(token)
    parsed = None
    try:
        lakehouse.recover_lake(settings, dict.fromkeys(dirs.values(), present))  # every table, not only ours
        if present:
            data, parsed, lines_per_file, (counts, reasons, empty) = _parse_drop(
                spark, contract, [d for d in drops if d.exists]
            )
            data = add_lineage(data, run_id, ingested_at)
            bronze = data.where(F.col("_reason").isNull()).select(
                *bronze_schema(contract).names, "ingest_date"
            )
            quarantine = data.where(F.col("_reason").isNotNull()).select(
                *QUARANTINE_SCHEMA.names, "ingest_date"
            )
            _publish(bronze, dirs["bronze"], token, present, "bronze")
            _publish(quarantine, dirs["quarantine"], token, present, "quarantine")
            progress.log_step(contract.name, "bronze and quarantine written", started)
            header = 1 if contract.format == "csv" else 0
            for drop in drops:
                if drop.exists:
                    manifests[drop.ingest_date] = build_manifest(
                        drop,
                        silver_table=contract.silver_table,
                        run_id=run_id,
                        files=file_entries(drop, lines_per_file, counts, header, empty),
                        reasons=reasons.get(drop.ingest_date, {}),
                        max_rate=contract.quarantine_limit(settings.max_quarantine_rate),
                    )
            anomalies.annotate(manifests, contract.format == "csv", settings.manifests_dir)
            _write_manifests(manifests, started, settings)  # evidence first, even if silver fails below
            progress.log_counts(contract.name, [manifests[d] for d in present])
            publishable = [d for d in present if manifests[d]["status"] == "ok"]
            if publishable:
                _publish_silver(
                    bronze, contract, settings, spark, dirs["silver"], token, publishable, manifests
                )
                rows = sum(manifests[d]["rows_silver"] for d in publishable)
                progress.log_step(
                    contract.name, f"{rows:,} rows published to silver.{contract.silver_table}", started
                )
        retention.apply_retention(contract, settings, max(dates), manifests.values())
        _write_manifests(manifests, started, settings)
    finally:
        if parsed is not None:
            parsed.unpersist()
        for table_dir in dirs.values():
            lakehouse.recover(table_dir, [], only_token=token)
        lakehouse.end(token)
    breaches = [m for m in manifests.values() if m["status"] == "quarantine_threshold_exceeded"]
    if breaches:
        raise QuarantineThresholdExceeded(contract.name, breaches)
    return [manifests[d] for d in dates]


def _publish_silver(
    bronze: DataFrame,
    contract: SourceContract,
    settings: Settings,
    spark: SparkSession,
    table_dir: Path,
    token: str,
    dates: list[str],
    manifests: dict[str, dict],
) -> None:
    ctx = SilverContext(salt=settings.hash_salt, fx_rates=fx_rates_to(settings.base_currency))
    silver = to_silver(bronze.where(F.col("ingest_date").isin(dates)), contract, ctx)
    suppression = lakehouse.read_suppression_list(spark, settings.suppression_path)
    before: dict[str, int] = {}
    if suppression is not None:
        before = {r["ingest_date"]: r["count"] for r in silver.groupBy("ingest_date").count().collect()}
        silver = suppress(silver, suppression)
    _publish(silver, table_dir, token, dates, "silver")
    for ingest_date in dates:
        manifest = manifests[ingest_date]
        rows = lakehouse.parquet_rows(table_dir / f"ingest_date={ingest_date}")
        suppressed = before.get(ingest_date, rows) - rows if suppression is not None else 0
        manifest.update(
            rows_silver=rows,
            rows_suppressed=suppressed,
            silver_published=True,
            rows_duplicates=manifest["rows_bronze"] - rows - suppressed,
        )
    plausibility.record_flags(manifests, spark, contract, table_dir, dates)


def _write_manifests(manifests: dict[str, dict], started: float, settings: Settings) -> None:
    elapsed = time.monotonic() - started
    total = sum(m["rows_read"] for m in manifests.values())
    for ingest_date, manifest in manifests.items():
        manifest.update(
            elapsed_seconds=round(elapsed, 3),
            dates_in_pass=len(manifests),
            rows_per_second=round(total / elapsed, 1) if elapsed > 0 else None,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        path = settings.manifest_path(manifest["source"], ingest_date)
        lakehouse.write_manifest(path, manifest)


def ingest_dates(
    source: str,
    dates: list[str],
    run_id: str | None = None,
    spark: SparkSession | None = None,
    one_pass: bool = True,
) -> list[dict[str, Any]]:
    """Ingest several dates of one source (initial loads); returns one manifest per date.

    one_pass: read and write all dates in one Spark pass (faster for history loads)
    instead of one run per date. Raises QuarantineThresholdExceeded after every date is
    processed if any exceeded the rate (those dates get no silver partition).
    """
    from spark_jobs.session import get_spark

    contract = get_contract(source)
    for value in dates:
        parse_iso_date(value, "ingest date")
    settings = get_settings()
    spark = spark or get_spark()
    run_id = run_id or f"manual__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    unique = sorted(set(dates))
    if one_pass or len(unique) <= 1:
        return _run(contract, unique, run_id, spark, settings) if unique else []
    manifests, breaches = [], []
    for value in unique:
        try:
            manifests += _run(contract, [value], run_id, spark, settings)
        except QuarantineThresholdExceeded as exc:
            manifests += exc.manifests
            breaches += exc.manifests
    if breaches:
        raise QuarantineThresholdExceeded(source, breaches)
    return manifests


def ingest_source(
    source: str, logical_date: str, run_id: str | None = None, spark: SparkSession | None = None
) -> dict[str, Any]:
    """Ingest ONLY `<landing>/<source>/<logical_date>/`; returns its manifest.

    A missing drop yields a manifest with 0 rows and a warning. Raises
    QuarantineThresholdExceeded (after bronze, quarantine and the manifest are written).
    """
    return ingest_dates(source, [logical_date], run_id=run_id, spark=spark)[0]


# Command line ---------------------------------------------------------------------------
def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m spark_jobs.ingest", description=__doc__.splitlines()[0])
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--source", choices=sorted(get_registry().contracts), help="one source contract")
    who.add_argument("--all-sources", action="store_true", help="every configured source")
    parser.add_argument("--date", type=iso_date, help="ingest date (YYYY-MM-DD)")
    parser.add_argument("--start", type=iso_date, help="first date of a range")
    parser.add_argument("--end", type=iso_date, help="last date of a range (inclusive)")
    parser.add_argument("--run-id", help="run id recorded in lineage and manifests")
    parser.add_argument("--loop", action="store_true", help="ingest a range date by date, not in one pass")
    args = parser.parse_args(argv)
    if args.date and (args.start or args.end):
        parser.error("argument --date: not allowed with --start/--end")
    if not args.date and not (args.start and args.end):
        parser.error("argument --date: required unless both --start and --end are given")
    if args.start and args.end and parse_iso_date(args.start) > parse_iso_date(args.end):
        parser.error(f"argument --end: {args.end} is before --start {args.start}")
    return args


def _date_range(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit 0 ok, 1 quarantine threshold exceeded, 2 bad arguments."""
    restrict_new_files()  # landing copies, bronze, quarantine and silver hold personal data
    settings_or_exit("python -m spark_jobs.ingest")
    args = _parse_args(argv)
    dates = [args.date] if args.date else _date_range(args.start, args.end)
    sources = list(get_registry().active) if args.all_sources else [args.source]
    run_id = args.run_id or f"manual__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    code = 0
    for source in sources:
        try:
            manifests = ingest_dates(source, dates, run_id=run_id, one_pass=not args.loop)
        except QuarantineThresholdExceeded as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            manifests, code = exc.manifests, 1
        for m in manifests:
            print(
                f"{m['source']} {m['ingest_date']}: {m['status']}, read {m['rows_read']}, bronze "
                f"{m['rows_bronze']}, quarantined {m['rows_quarantined']}, silver {m['rows_silver']} "
                f"({m['rows_per_second']} rows/s)" + "".join(f"\n  warning: {w}" for w in m["warnings"])
            )
    return code


if __name__ == "__main__":
    sys.exit(main())
