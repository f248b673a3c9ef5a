"""`marts.model_monitoring` (contract, read by the dashboard): one row per check, subject and logical date.

Columns: `logical_date`, `check_type` (`CHECK_TYPES`), `model_name` (registered model, or
`customer_segments` for segment checks), `model_version` (nullable), `subject` (a feature, a
segment, or `segment|kpi`), `value` (nullable), `warning_threshold`, `critical_threshold`,
`status` (`STATUSES`), `detail`, `computed_at`. Statuses: `ok`, `warning` and `critical` by the
thresholds of the row; `no_reference` when the comparison cannot be made (a champion registered
before reference bins were stored, or no scored inputs for the date); `insufficient_history`
when earlier runs are missing (no champion yet, a first scored date, too few KPI points).
Re-running a date replaces that date's rows (idempotent). No row names a person.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

import pandas as pd

from customer_platform.warehouse_tables import ensure_table, replace_rows, warehouse_transaction

MONITORING_TABLE = "marts.model_monitoring"
COLUMNS: dict[str, str] = {
    "logical_date": "date",
    "check_type": "varchar",
    "model_name": "varchar",
    "model_version": "varchar",
    "subject": "varchar",
    "value": "double",
    "warning_threshold": "double",
    "critical_threshold": "double",
    "status": "varchar",
    "detail": "varchar",
    "computed_at": "timestamp",
}
FEATURE_PSI = "feature_psi"
SEGMENT_SIZE_SHIFT = "segment_size_shift"
SEGMENT_SHARE_CHANGE = "segment_share_change"
SEGMENTATION_STABILITY = "segmentation_stability"
KPI_ANOMALY = "kpi_anomaly"
CHECK_TYPES = (FEATURE_PSI, SEGMENT_SIZE_SHIFT, SEGMENT_SHARE_CHANGE, SEGMENTATION_STABILITY, KPI_ANOMALY)
OK, WARNING, CRITICAL = "ok", "warning", "critical"
NO_REFERENCE, INSUFFICIENT_HISTORY = "no_reference", "insufficient_history"
STATUSES = (OK, WARNING, CRITICAL, NO_REFERENCE, INSUFFICIENT_HISTORY)
#: `model_name` of the segment checks (the table they watch, not one registered model).
SEGMENTS_SUBJECT_MODEL = "customer_segments"


@dataclass(frozen=True)
class Finding:
    """One row of `marts.model_monitoring` without its date and time stamp."""

    check_type: str
    model_name: str
    model_version: str | None
    subject: str
    value: float | None
    warning_threshold: float
    critical_threshold: float
    status: str
    detail: str

    def __post_init__(self) -> None:
        if self.check_type not in CHECK_TYPES:
            raise ValueError(f"unknown check_type {self.check_type!r}; one of {CHECK_TYPES}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {STATUSES}")


def classify(value: float, warning: float, critical: float, lower_is_worse: bool = False) -> str:
    """`critical` at or beyond `critical`, `warning` at or beyond `warning`, else `ok`.

    lower_is_worse: the thresholds are floors (stability): below them is worse.
    """
    if value is None or math.isnan(value):
        raise ValueError("a missing value has no status: record no_reference or insufficient_history")
    if lower_is_worse:
        return CRITICAL if value < critical else WARNING if value < warning else OK
    return CRITICAL if value >= critical else WARNING if value >= warning else OK


def findings_frame(findings: list[Finding], logical_date: dt.date, computed_at: dt.datetime) -> pd.DataFrame:
    """The findings as rows of the table, in its column order."""
    rows = pd.DataFrame([asdict(f) for f in findings], columns=list(COLUMNS)[1:-1])
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    return rows.assign(logical_date=logical_date, computed_at=computed_at)[list(COLUMNS)]


def write_findings(findings: list[Finding], logical_date: dt.date, computed_at: dt.datetime) -> int:
    """Replace the date's rows of `marts.model_monitoring` by `findings` in one transaction; rows written."""
    rows = findings_frame(findings, logical_date, computed_at)
    with warehouse_transaction({"findings_frame": rows}) as con:
        ensure_table(con, MONITORING_TABLE, COLUMNS)
        select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS.items())
        con.execute(f"create or replace temp table findings_rows as select {select} from findings_frame")
        replace_rows(con, MONITORING_TABLE, "findings_rows", {"logical_date": logical_date})
    return len(rows)
