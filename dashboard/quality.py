"""Data quality and drift: the latest gate results and the latest monitoring checks.

`marts.dq_results` (one row per expectation of a gate run) gives passed and failed counts per
gate and suite on each gate's latest logical date. `marts.model_monitoring` (written by the
monitoring stage: feature PSI against the training reference, segment size and share shifts,
segmentation stability, KPI anomalies) gives counts per status on its latest date and one PSI
chart per model with the warning and critical thresholds drawn. Observed values of failed
expectations are not shown: they can quote data.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dashboard import charts
from dashboard.model import Chart, Section, Table, amount, count, not_built, text
from dashboard.reader import Catalog, records

DQ = "marts.dq_results"
MONITORING = "marts.model_monitoring"
STATUSES = ("ok", "warning", "critical", "no_reference", "insufficient_history")
#: The columns read from MONITORING (its contract: monitoring/results.py).
MONITORING_COLUMNS = (
    "logical_date", "check_type", "model_name", "subject", "value", "warning_threshold",
    "critical_threshold", "status", "detail", "computed_at",
)  # fmt: skip
TITLE = "Data quality and drift"
FAILED_SHOWN = 25


def collect(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, Any]:
    """Gate counts per suite, failed expectations, and the latest monitoring checks."""
    data: dict[str, Any] = {"dq": None, "failed": [], "monitoring": None}
    if catalog.has(DQ, "gate", "suite", "expectation", "success", "logical_date"):
        latest = f"d.logical_date = (select max(x.logical_date) from {DQ} x where x.gate = d.gate)"
        data["dq"] = records(
            con,
            "select d.gate, d.suite, cast(d.logical_date as varchar) as logical_date, "
            "count(*) filter (where d.success) as passed, count(*) filter (where not d.success) as failed "
            f"from {DQ} d where {latest} group by all order by d.gate, d.suite",
        )
        column = "d.column_name" if catalog.has(DQ, "column_name") else "null"
        severity = "d.severity" if catalog.has(DQ, "severity") else "null"
        data["failed"] = records(
            con,
            f"select d.gate, d.suite, d.expectation, {column} as column_name, {severity} as severity "
            f"from {DQ} d where {latest} and not d.success order by all limit {FAILED_SHOWN}",
        )
    if catalog.has(MONITORING, *MONITORING_COLUMNS):
        data["monitoring"] = records(
            con,
            "select cast(logical_date as varchar) as logical_date, check_type, model_name, subject, value, "
            "warning_threshold, critical_threshold, status, detail "
            f"from {MONITORING} where logical_date = (select max(logical_date) from {MONITORING}) "
            "qualify row_number() over (partition by check_type, model_name, subject order by computed_at desc) = 1 "
            "order by check_type, model_name, subject",
        )
    return data


def _gate_part(section: Section, rows: list[dict[str, Any]], failed: list[dict[str, Any]]) -> None:
    if not rows:
        section.notes.append(f"Gate results: {DQ} exists but holds no results yet.")
        return
    # Suites are usually named after their gate's layer (`silver.crm_customers`): no need to repeat it.
    labels = [
        r["suite"] if r["suite"].startswith(f"{r['gate']}.") else f"{r['gate']} / {r['suite']}" for r in rows
    ]
    passed = [int(r["passed"]) for r in rows]
    failing = [int(r["failed"]) for r in rows]
    dates = sorted({r["logical_date"] for r in rows})
    section.charts.append(
        Chart(
            "Data-quality gates",
            charts.stacked_hbar(labels, {"passed": passed, "failed": failing}, "expectations"),
            f"Expectations per gate and suite on each gate's latest date ({', '.join(dates)}), from {DQ}.",
        )
    )
    table_rows = [
        (text(r["gate"]), text(r["suite"]), text(r["logical_date"]),
         count(r["passed"], f"dq-passed:{r['gate']}/{r['suite']}"),
         count(r["failed"], f"dq-failed:{r['gate']}/{r['suite']}"))
        for r in rows
    ]  # fmt: skip
    table_rows.append(
        (text("all"), text(""), text(""), count(sum(passed), "dq-passed"), count(sum(failing), "dq-failed"))
    )
    section.tables.append(
        Table("Gate results", ("gate", "suite", "date", "passed", "failed"), tuple(table_rows))
    )
    if failed:
        section.tables.append(
            Table(
                f"Failed expectations (first {FAILED_SHOWN})",
                ("gate", "suite", "expectation", "column", "severity"),
                tuple(
                    tuple(text(r[k]) for k in ("gate", "suite", "expectation", "column_name", "severity"))
                    for r in failed
                ),
            )
        )


def _psi_charts(rows: list[dict[str, Any]]) -> list[Chart]:
    found = []
    psi = [r for r in rows if r["check_type"] == "feature_psi" and r["value"] is not None]
    for model in sorted({r["model_name"] or "" for r in psi}):
        mine = [r for r in psi if (r["model_name"] or "") == model]
        warning = next((r["warning_threshold"] for r in mine if r["warning_threshold"] is not None), None)
        critical = next((r["critical_threshold"] for r in mine if r["critical_threshold"] is not None), None)
        found.append(
            Chart(
                f"Population stability per input of {model or 'the model'}",
                charts.bars_with_thresholds(
                    [r["subject"] for r in mine], [float(r["value"]) for r in mine], warning, critical, "PSI"
                ),
                "PSI of each model input against the champion's training reference; dashed lines are the "
                "warning and critical thresholds.",
            )
        )
    return found


def _monitoring_part(section: Section, rows: list[dict[str, Any]]) -> None:
    if not rows:
        section.notes.append(f"Drift: {MONITORING} exists but holds no checks yet.")
        return
    statuses = [*STATUSES, *sorted({r["status"] for r in rows} - set(STATUSES))]
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in statuses}
    section.tables.append(
        Table(
            f"Monitoring checks on {rows[0]['logical_date']}",
            ("status", "checks"),
            tuple((text(s), count(n, f"drift-status:{s}")) for s, n in counts.items()),
        )
    )
    section.charts.extend(_psi_charts(rows))
    flagged = [r for r in rows if r["status"] != "ok"]
    if flagged:
        section.tables.append(
            Table(
                "Checks not ok",
                ("check", "model", "subject", "value", "status", "detail"),
                tuple(
                    (text(r["check_type"]), text(r["model_name"]), text(r["subject"]),
                     amount(r["value"], digits=3), text(r["status"], f"drift:{r['check_type']}:{r['subject']}"),
                     text(r["detail"]))
                    for r in flagged
                ),
            )
        )  # fmt: skip


def build(data: dict[str, Any]) -> Section:
    """The data-quality and drift section."""
    if data["dq"] is None and data["monitoring"] is None:
        return not_built("quality", TITLE, f"{DQ} (and {MONITORING})")
    section = Section("quality", TITLE)
    if data["dq"] is not None:
        _gate_part(section, data["dq"], data["failed"])
    else:
        section.notes.append(f"Gate results: not built yet ({DQ} does not exist).")
    if data["monitoring"] is not None:
        _monitoring_part(section, data["monitoring"])
    else:
        section.notes.append(f"Drift: not built yet ({MONITORING} does not exist).")
    return section
