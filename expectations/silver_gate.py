"""Collect what the silver gate validates: each table's partition of the date (Spark) and the manifests."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from customer_platform.config import Settings
from expectations import silver_ingestion
from expectations.common import CRITICAL, WARNING, GateThresholds
from expectations.gx_context import ValidationTarget
from expectations.history import (
    TableBaseline,
    baseline_days,
    compute_baseline,
    first_partition,
    has_data,
    partition_dir,
    skipped_note,
)
from expectations.manifests import read_manifest
from expectations.results import ExpectationOutcome, gate_check
from expectations.silver_spec import SilverTableSpec
from expectations.suites import SILVER_TABLE_SUITES


@dataclass
class Collected:
    """Targets to validate plus what the gate found on its own (outcomes and notes)."""

    targets: list[ValidationTarget] = field(default_factory=list)
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect_silver(
    spark: Any,
    settings: Settings,
    logical_date: date,
    thresholds: GateThresholds,
    only_suites: Collection[str] | None = None,
) -> Collected:
    """Read the date's silver partitions and build each table's suite (history-aware)."""
    collected = Collected()
    for module in SILVER_TABLE_SUITES:
        spec = module.SPEC
        if only_suites is not None and spec.suite_name not in only_suites:
            continue
        table_dir = settings.silver_dir / spec.table
        partition = partition_dir(table_dir, logical_date)
        if not has_data(partition):
            collected.outcomes.append(
                gate_check(spec.suite_name, "partition_present", WARNING, False, f"no partition {partition}")
            )
            continue
        baseline = _baseline(spark, table_dir, spec, logical_date, thresholds, collected)
        try:
            frame = spark.read.parquet(str(partition)).cache()
        except Exception as exc:  # an unreadable partition fails the gate with its reason
            collected.outcomes.append(
                gate_check(
                    spec.suite_name, "partition_readable", CRITICAL, False, f"error: {_first_line(exc)}"
                )
            )
            continue
        suite = module.build_suite(logical_date, baseline, thresholds)
        collected.targets.append(ValidationTarget(suite, frame, "spark", spec.table))
    if only_suites is None or silver_ingestion.SUITE_NAME in only_suites:
        _collect_manifests(settings, logical_date, collected)
    return collected


def _baseline(
    spark: Any,
    table_dir: Path,
    spec: SilverTableSpec,
    logical_date: date,
    thresholds: GateThresholds,
    collected: Collected,
) -> TableBaseline | None:
    """Baseline of the previous partitions, or None with a note (too few days) or a warning (unreadable)."""
    days = baseline_days(table_dir, logical_date, thresholds)
    if len(days) < thresholds.min_history_days:
        collected.notes.append(skipped_note(spec.table, len(days), logical_date, thresholds))
        return None
    initial_load = first_partition(table_dir) if spec.first_partition_is_initial_load else None
    try:
        baseline = compute_baseline(
            spark,
            table_dir,
            days,
            spec.null_drift,
            spec.mean_drift,
            initial_load=initial_load,
            outlier_ratio=thresholds.volume_max_ratio,
        )
    except Exception as exc:
        collected.outcomes.append(
            gate_check(spec.suite_name, "history_readable", WARNING, False, f"error: {_first_line(exc)}")
        )
        return None
    if len(baseline.days) < thresholds.min_history_days:
        extra = f" (initial load {baseline.excluded_initial_load} excluded)"
        collected.notes.append(skipped_note(spec.table, len(baseline.days), logical_date, thresholds, extra))
        return None
    return baseline


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _collect_manifests(settings: Settings, logical_date: date, collected: Collected) -> None:
    counts = []
    for source in settings.sources:
        found, problem = read_manifest(settings.manifests_dir, source, logical_date)
        if found is None:
            collected.outcomes.append(
                gate_check(silver_ingestion.SUITE_NAME, "manifest_present", WARNING, False, str(problem))
            )
        else:
            counts.append(found)
    frame = silver_ingestion.ingestion_frame(counts)
    suite = silver_ingestion.build_suite(settings.max_quarantine_rate)
    collected.targets.append(ValidationTarget(suite, frame, "pandas", silver_ingestion.ASSET_NAME))
