"""Collect what the silver gate validates: each active source's silver partition of the date (Spark)
and the sources' ingestion manifests.

The sources are the registry's active ones (`CDP_SOURCES`): a source left out has no suite, and
a new contract's table gets one (derived from the contract) with no code change.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from customer_platform.config import Settings
from customer_platform.partitions import recover_lake
from customer_platform.registry import SourceContract, get_registry
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
from expectations.suites.silver import ingestion
from expectations.suites.silver.rules import SilverRules, derive_rules
from expectations.suites.silver.suite import build_suite

log = logging.getLogger(__name__)


@dataclass
class Collected:
    """Targets to validate plus what the gate found on its own (outcomes and notes).

    pending: state kept only when the whole gate passes (objects with `commit()` and `discard()`).
    rows: per suite, the rows of the table and how many of them GX validated (marts gate).
    """

    targets: list[ValidationTarget] = field(default_factory=list)
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending: list[Any] = field(default_factory=list)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


def collect_silver(
    spark: Any,
    settings: Settings,
    logical_date: date,
    thresholds: GateThresholds,
    only_suites: Collection[str] | None = None,
) -> Collected:
    """Read the date's silver partitions and build each active source's suite (history-aware)."""
    collected = Collected()
    recover_lake(settings)  # a run killed mid-publish leaves no missing partition behind
    sources = get_registry(settings).sources()
    for contract in sources:
        rules = derive_rules(contract, thresholds)
        if only_suites is not None and rules.suite_name not in only_suites:
            continue
        table_dir = settings.silver_dir / rules.table
        partition = partition_dir(table_dir, logical_date)
        if not has_data(partition):
            collected.outcomes.append(
                gate_check(rules.suite_name, "partition_present", WARNING, False, f"no partition {partition}")
            )
            continue
        baseline = _baseline(spark, table_dir, rules, logical_date, thresholds, collected)
        try:
            suite = build_suite(contract, logical_date, baseline, thresholds)
        except ValueError as exc:  # e.g. a broken extras file: fail closed, naming the file
            collected.outcomes.append(
                gate_check(rules.suite_name, "suite_builds", CRITICAL, False, f"error: {_first_line(exc)}")
            )
            continue
        try:
            frame = spark.read.parquet(str(partition)).cache()
        except Exception as exc:  # an unreadable partition fails the gate with its reason
            collected.outcomes.append(
                gate_check(
                    rules.suite_name, "partition_readable", CRITICAL, False, f"error: {_first_line(exc)}"
                )
            )
            continue
        collected.targets.append(ValidationTarget(suite, frame, "spark", rules.table))
    if only_suites is None or ingestion.SUITE_NAME in only_suites:
        _collect_manifests(settings, sources, logical_date, collected)
    log.info("silver gate %s: %d suite(s) to validate", logical_date, len(collected.targets))
    return collected


def _baseline(
    spark: Any,
    table_dir: Path,
    rules: SilverRules,
    logical_date: date,
    thresholds: GateThresholds,
    collected: Collected,
) -> TableBaseline | None:
    """Baseline of the previous partitions, or None with a note (too few days) or a warning (unreadable)."""
    days = baseline_days(table_dir, logical_date, thresholds)
    if len(days) < thresholds.min_history_days:
        collected.notes.append(skipped_note(rules.table, len(days), logical_date, thresholds))
        return None
    initial_load = first_partition(table_dir) if rules.first_partition_is_initial_load else None
    try:
        baseline = compute_baseline(
            spark,
            table_dir,
            days,
            rules.null_drift,
            rules.mean_drift,
            initial_load=initial_load,
            outlier_ratio=thresholds.volume_max_ratio,
        )
    except Exception as exc:
        collected.outcomes.append(
            gate_check(rules.suite_name, "history_readable", WARNING, False, f"error: {_first_line(exc)}")
        )
        return None
    if len(baseline.days) < thresholds.min_history_days:
        extra = f" (initial load {baseline.excluded_initial_load} excluded)"
        collected.notes.append(skipped_note(rules.table, len(baseline.days), logical_date, thresholds, extra))
        return None
    return baseline


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _collect_manifests(
    settings: Settings, sources: tuple[SourceContract, ...], logical_date: date, collected: Collected
) -> None:
    """One reconciliation row per active source with a manifest; a missing manifest is a warning."""
    counts = []
    for contract in sources:
        found, problem = read_manifest(settings.manifests_dir, contract.name, logical_date)
        if found is None:
            collected.outcomes.append(
                gate_check(ingestion.SUITE_NAME, "manifest_present", WARNING, False, str(problem))
            )
        else:
            counts.append(found)
    limits = {c.name: c.quarantine_limit(settings.max_quarantine_rate) for c in sources}
    frame = ingestion.ingestion_frame(counts, limits)
    suite = ingestion.build_suite(settings.max_quarantine_rate, [c.name for c in sources])
    collected.targets.append(ValidationTarget(suite, frame, "pandas", ingestion.ASSET_NAME))
