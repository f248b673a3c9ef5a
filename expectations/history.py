"""Trailing baselines of a silver table from its previous `ingest_date` partitions (Spark)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from customer_platform.volume_rule import without_initial_load
from expectations.common import GateThresholds

PARTITION_PREFIX = "ingest_date="


@dataclass(frozen=True)
class TableBaseline:
    """Per-day means over the previous partitions of one table."""

    table: str
    days: tuple[str, ...]
    mean_rows: float
    null_rates: dict[str, float] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    #: The initial-load partition left out of the baseline, if any.
    excluded_initial_load: str | None = None

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary, stored in expectation meta and gate results."""
        return {
            "days": list(self.days),
            "mean_rows": round(self.mean_rows, 3),
            "null_rates": {k: round(v, 6) for k, v in self.null_rates.items()},
            "means": {k: round(v, 6) for k, v in self.means.items()},
            "excluded_initial_load": self.excluded_initial_load,
        }


def partition_dir(table_dir: Path, day: date | str) -> Path:
    """Folder of one `ingest_date` partition."""
    return table_dir / f"{PARTITION_PREFIX}{day}"


def has_data(partition: Path) -> bool:
    """True when the partition folder holds at least one Parquet file."""
    return partition.is_dir() and any(partition.glob("*.parquet"))


def partition_dates(table_dir: Path) -> list[date]:
    """Every `ingest_date` of the table that holds data, oldest first."""
    if not table_dir.is_dir():
        return []
    found = []
    for child in table_dir.iterdir():
        if child.name.startswith(PARTITION_PREFIX) and has_data(child):
            try:
                found.append(date.fromisoformat(child.name[len(PARTITION_PREFIX) :]))
            except ValueError:
                continue
    return sorted(found)


def baseline_days(table_dir: Path, logical_date: date, thresholds: GateThresholds) -> list[date]:
    """Previous partitions of the table inside the trailing window, oldest first."""
    window_start = logical_date - timedelta(days=thresholds.history_days)
    return [d for d in partition_dates(table_dir) if window_start <= d < logical_date]


def first_partition(table_dir: Path) -> date | None:
    """The table's first-ever partition (its initial load, for most sources)."""
    days = partition_dates(table_dir)
    return days[0] if days else None


def skipped_note(
    table: str, found: int, logical_date: date, thresholds: GateThresholds, extra: str = ""
) -> str:
    """Why the history checks of `table` do not run today."""
    return (
        f"history checks skipped for {table}: {found} previous partition(s) in the "
        f"{thresholds.history_days} days before {logical_date}, need {thresholds.min_history_days}{extra}"
    )


def compute_baseline(
    spark: Any,
    table_dir: Path,
    days: list[date],
    null_columns: tuple[str, ...],
    mean_columns: tuple[str, ...],
    initial_load: date | None = None,
    outlier_ratio: float = 2.0,
) -> TableBaseline:
    """Row count, null rates and means per previous day (one Spark job), averaged over days.

    initial_load: the table's first-ever partition when it lies in `days`; it is left out when
    it holds more than `outlier_ratio` x the median rows of the other days (all CRM contacts or
    a year of orders on day one would otherwise dwarf the daily increments).
    """
    from pyspark.sql import functions as F

    paths = [str(partition_dir(table_dir, d)) for d in days]
    frame = spark.read.option("basePath", str(table_dir)).parquet(*paths)
    nulls = [c for c in null_columns if c in frame.columns]
    means = [c for c in mean_columns if c in frame.columns]
    aggregates = [F.count(F.lit(1)).alias("rows")]
    aggregates += [F.sum(F.col(c).isNull().cast("long")).alias(f"null__{c}") for c in nulls]
    aggregates += [F.avg(F.col(c).cast("double")).alias(f"mean__{c}") for c in means]
    per_day = [row.asDict() for row in frame.groupBy("ingest_date").agg(*aggregates).collect()]
    per_day, excluded = _without_initial_load(per_day, initial_load, outlier_ratio)
    n_days = len(per_day)
    mean_rows = sum(r["rows"] for r in per_day) / n_days if n_days else 0.0
    null_rates = {c: sum(r[f"null__{c}"] / r["rows"] for r in per_day if r["rows"]) / n_days for c in nulls}
    day_means = {c: [r[f"mean__{c}"] for r in per_day if r[f"mean__{c}"] is not None] for c in means}
    return TableBaseline(
        table=table_dir.name,
        days=tuple(sorted(str(r["ingest_date"]) for r in per_day)),
        mean_rows=mean_rows,
        null_rates=null_rates if n_days else {},
        means={c: sum(v) / len(v) for c, v in day_means.items() if v},
        excluded_initial_load=excluded,
    )


def _without_initial_load(
    per_day: list[dict[str, Any]], initial_load: date | None, outlier_ratio: float
) -> tuple[list[dict[str, Any]], str | None]:
    rows = {str(r["ingest_date"]): r["rows"] for r in per_day}
    kept, excluded = without_initial_load(
        rows, None if initial_load is None else str(initial_load), outlier_ratio
    )
    return [r for r in per_day if str(r["ingest_date"]) in kept], excluded
