"""The run summary's monitoring part: counts per status and the critical and warning subjects."""

from __future__ import annotations

from typing import Any

#: Subjects listed per status in the summary (the table has them all).
LISTED = 12


def monitoring_summary(con: Any, existing: set[tuple[str, str]], ds: str | None) -> dict[str, Any] | None:
    """Status counts and flagged subjects of `ds` (or the latest monitored date), or None before monitoring ran."""
    if ("marts", "model_monitoring") not in existing:
        return None
    day = con.execute(
        "select max(logical_date) from marts.model_monitoring where cast(logical_date as varchar) <= ?",
        [ds or "9999-12-31"],
    ).fetchone()[0]
    if day is None:
        return None
    counts = dict(
        con.execute(
            "select status, count(*) from marts.model_monitoring where logical_date = ? group by 1", [day]
        ).fetchall()
    )
    flagged = con.execute(
        "select status, model_name, model_version, check_type, subject, value, detail from marts.model_monitoring "
        "where logical_date = ? and status in ('critical', 'warning') "
        "order by status = 'warning', check_type, model_name, subject",
        [day],
    ).fetchall()
    keys = ("model_name", "model_version", "check_type", "subject", "value", "detail")

    def listed(status: str) -> list[dict[str, Any]]:
        return [dict(zip(keys, row[1:], strict=True)) for row in flagged if row[0] == status][:LISTED]

    return {
        "logical_date": str(day),
        "status_counts": {status: int(n) for status, n in sorted(counts.items())},
        "critical": listed("critical"),
        "warning": listed("warning"),
    }


def _line(finding: dict[str, Any]) -> str:
    version = f" v{finding['model_version']}" if finding["model_version"] else ""
    value = "" if finding["value"] is None else f" = {finding['value']:.3f}"
    return f"    {finding['model_name']}{version} {finding['check_type']} {finding['subject']}{value}"


def format_monitoring(monitoring: dict[str, Any] | None) -> list[str]:
    """Terminal lines of `monitoring_summary`."""
    lines = ["Monitoring (drift, stability, KPI anomalies):"]
    if not monitoring:
        return lines + ["  none yet: the monitor_models task has not run"]
    counts = ", ".join(f"{n} {status}" for status, n in monitoring["status_counts"].items())
    lines.append(f"  {monitoring['logical_date']}: {counts}  (marts.model_monitoring)")
    for status in ("critical", "warning"):
        if monitoring[status]:
            lines.append(f"  {status}:")
            lines.extend(_line(finding) for finding in monitoring[status])
    return lines
