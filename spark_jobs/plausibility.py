"""Plausibility flags of freshly published silver: text that could run, amounts far beyond history.

Nothing is dropped here (a broken range or sign rule quarantines its row while parsing). Per
ingest date the manifest's `plausibility` counts, per free-text column, values that look like a
spreadsheet formula or markup (`customer_platform.text_safety`: exports neutralise them), and per
amount column, values beyond the outlier bound: `factor` × the `quantile` of |amount| over the
source's last `history_days` silver partitions before the dates being ingested. Each non-zero
count is also a named warning. Two small aggregations over Parquet columns; no row is rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from customer_platform.contract_plausibility import free_text_columns, outlier_rule
from customer_platform.source_contract import OutlierRule, SourceContract
from customer_platform.text_safety import E164_PATTERN, FORMULA_PATTERN, MARKUP_PATTERN

#: Per amount column: (outlier bound, or None when the history is too short; rows of history).
Bounds = dict[str, tuple[float | None, int]]


def unsafe_text(col: Column) -> Column:
    """True where the text is formula-leading (an E.164 phone number is not) or carries markup."""
    text = col.cast("string")
    return (text.rlike(FORMULA_PATTERN) & ~text.rlike(E164_PATTERN)) | text.rlike(MARKUP_PATTERN)


def _partitions(table_dir: Path, dates: list[str]) -> list[str]:
    return [str(table_dir / f"ingest_date={d}") for d in dates if (table_dir / f"ingest_date={d}").is_dir()]


def outlier_bounds(spark: SparkSession, rule: OutlierRule, table_dir: Path, before: str) -> Bounds:
    """Per amount column: (bound or None when history is too short, history rows) from partitions before `before`."""
    if not rule.columns:
        return {}
    published = sorted(p.name.split("=", 1)[1] for p in table_dir.glob("ingest_date=*") if p.is_dir())
    paths = _partitions(table_dir, [d for d in published if d < before][-rule.history_days :])
    if not paths:
        return {c: (None, 0) for c in rule.columns}
    history = spark.read.option("basePath", str(table_dir)).parquet(*paths)
    columns = [c for c in rule.columns if c in history.columns]
    aggregates = [F.percentile_approx(F.abs(c), rule.quantile).alias(f"q{i}") for i, c in enumerate(columns)]
    aggregates += [F.count(c).alias(f"n{i}") for i, c in enumerate(columns)]
    row = history.agg(*aggregates).first() if columns else None
    bounds: Bounds = {c: (None, 0) for c in rule.columns}
    for i, column in enumerate(columns):
        rows, quantile = int(row[f"n{i}"]), row[f"q{i}"]
        enough = rows >= rule.min_history_rows and quantile is not None
        bounds[column] = (rule.factor * float(quantile) if enough else None, rows)
    return bounds


def flag_silver(
    spark: SparkSession, contract: SourceContract, table_dir: Path, dates: list[str]
) -> dict[str, dict[str, Any]]:
    """Per ingest date: {"plausibility": counts, "warnings": [...]} for the published silver `dates`."""
    texts, rule = free_text_columns(contract), outlier_rule(contract)
    bounds = outlier_bounds(spark, rule, table_dir, min(dates)) if dates else {}
    paths = _partitions(table_dir, dates)
    found: dict[str, dict[str, int]] = {d: {} for d in dates}
    checks = {f"t{i}": unsafe_text(F.col(c)) for i, c in enumerate(texts)}
    checks |= {f"o{i}": F.abs(c) > bound for i, (c, (bound, _)) in enumerate(bounds.items()) if bound}
    if paths and checks:
        current = spark.read.option("basePath", str(table_dir)).parquet(*paths)
        sums = [F.sum(F.when(check, 1).otherwise(0)).alias(name) for name, check in checks.items()]
        for row in current.groupBy(F.col("ingest_date").cast("string").alias("d")).agg(*sums).collect():
            found[row["d"]] = {name: int(row[name] or 0) for name in checks}
    return {d: _report(found[d], texts, bounds, rule) for d in dates}


def record_flags(
    manifests: dict[str, dict[str, Any]],
    spark: SparkSession,
    contract: SourceContract,
    table_dir: Path,
    dates: list[str],
) -> None:
    """Add `plausibility` and its warnings to the manifests of the published silver `dates`."""
    for ingest_date, flags in flag_silver(spark, contract, table_dir, dates).items():
        manifests[ingest_date]["plausibility"] = flags["plausibility"]
        manifests[ingest_date]["warnings"] += flags["warnings"]


def _report(
    counts: dict[str, int], texts: tuple[str, ...], bounds: Bounds, rule: OutlierRule
) -> dict[str, Any]:
    unsafe = {c: counts.get(f"t{i}", 0) for i, c in enumerate(texts)}
    outliers = {
        c: {"rows": counts.get(f"o{i}", 0), "bound": round(bound, 4) if bound else None, "history_rows": rows}
        for i, (c, (bound, rows)) in enumerate(bounds.items())
    }
    warnings = [
        f"unsafe text: {n} {c} value(s) look like a spreadsheet formula or markup "
        "(kept in silver, neutralised in exports)"
        for c, n in unsafe.items()
        if n
    ]
    warnings += [
        f"amount outliers: {o['rows']} {c} value(s) beyond {o['bound']:,.2f} ({rule.factor:g} x the "
        f"{rule.quantile:g} quantile of {o['history_rows']:,} earlier rows); kept in silver"
        for c, o in outliers.items()
        if o["rows"]
    ]
    return {"plausibility": {"unsafe_text": unsafe, "outliers": outliers}, "warnings": warnings}
