"""The monitoring stage's entry point: every check for one logical date into `marts.model_monitoring`.

`monitor_models(ds)` reads the champions' reference bins from the registry and tonight's input
profiles, segment history and orders from the warehouse (read-only), computes the findings,
replaces the date's rows and returns a small summary for XCom and the run summary: counts per
status, the critical and warning subjects, and whether retraining is requested. Retraining is
requested when a check of `RETRAINING_CHECKS` is critical: model inputs that moved away from the
champion's reference, or segment sizes that moved as a whole, are what a retrain on current data
answers; an unstable assignment or an unusual KPI night is reported but asks a person, not a retrain.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from customer_platform.config import get_settings, parse_iso_date
from customer_platform.input_profiles import read_input_profiles
from customer_platform.model_names import REGISTERED_MODELS
from customer_platform.warehouse_tables import warehouse_reader
from monitoring.feature_drift import feature_findings
from monitoring.kpis import kpi_findings
from monitoring.references import ChampionReference, champion_references
from monitoring.results import (
    CRITICAL,
    FEATURE_PSI,
    SEGMENT_SIZE_SHIFT,
    STATUSES,
    WARNING,
    Finding,
    write_findings,
)
from monitoring.segments import segment_findings

log = logging.getLogger(__name__)

#: Critical checks that request a retraining (module doc).
RETRAINING_CHECKS = (FEATURE_PSI, SEGMENT_SIZE_SHIFT)
#: At most this many subjects per status in the summary (the table has them all).
LISTED = 20

ChampionLookup = Callable[[Iterable[str]], Mapping[str, ChampionReference | None]]


def brief(finding: Finding) -> dict[str, Any]:
    """A finding without its detail: model, version, check, subject, value, status and the threshold crossed."""
    threshold = finding.critical_threshold if finding.status == CRITICAL else finding.warning_threshold
    return {
        "model_name": finding.model_name,
        "model_version": finding.model_version,
        "check_type": finding.check_type,
        "subject": finding.subject,
        "value": None if finding.value is None else float(finding.value),
        "status": finding.status,
        "threshold": threshold,
    }


def describe(finding: dict[str, Any]) -> str:
    """One line naming a `brief` finding: model (version), check, subject and value; no personal data."""
    version = f" v{finding['model_version']}" if finding.get("model_version") else ""
    value = "" if finding.get("value") is None else f" = {finding['value']:.3f}"
    return f"{finding['model_name']}{version} {finding['check_type']} {finding['subject']}{value}"


def summarise(findings: list[Finding], logical_date: str) -> dict[str, Any]:
    """Counts per status, the critical and warning findings (`brief`), and the retraining request."""
    counts = Counter(f.status for f in findings)
    critical = [f for f in findings if f.status == CRITICAL]
    reasons = [describe(brief(f)) for f in critical if f.check_type in RETRAINING_CHECKS]
    return {
        "logical_date": logical_date,
        "findings": len(findings),
        "status_counts": {status: counts.get(status, 0) for status in STATUSES},
        "critical": [brief(f) for f in critical][:LISTED],
        "warning": [brief(f) for f in findings if f.status == WARNING][:LISTED],
        "retraining_requested": bool(reasons),
        "retraining_reasons": reasons[:LISTED],
    }


def collect_findings(day: dt.date, champions: Mapping[str, ChampionReference | None]) -> list[Finding]:
    """Every check of `day`: input drift per model, then segment shifts and stability, then KPIs."""
    thresholds = get_settings().monitoring
    with warehouse_reader() as con:
        profiles = read_input_profiles(con, day)
        segments = segment_findings(con, day, thresholds)
        kpis = kpi_findings(con, day, thresholds)
    return feature_findings(champions, profiles, thresholds) + segments + kpis


def monitor_models(ds: str, lookup: ChampionLookup | None = None) -> dict[str, Any]:
    """Compute and write the date's monitoring rows; returns `summarise` of them.

    lookup: model names -> champion references (default: `champion_references`, the MLflow registry).
    """
    day = parse_iso_date(ds, "logical date")
    findings = collect_findings(day, (lookup or champion_references)(REGISTERED_MODELS))
    computed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # audit stamp only, never selects data
    write_findings(findings, day, computed_at)
    summary = summarise(findings, ds)
    log.info("monitoring %s: %s", ds, summary["status_counts"])
    return summary
