"""The activation stage for one logical date: audiences materialised, exported, synced, audited.

`activate_audiences(ds)`:
1. loads and checks every audience file (a bad file fails the stage, naming it); an audience
   whose columns come from a mart this warehouse does not have yet (no predictions on a short
   history) is skipped with the reason;
2. materialises the active audiences in one transaction (`activation.membership`);
3. writes each file destination's export and syncs each webhook (`activation.exports`,
   `activation.webhook`), one audit line per export; a failed destination does not stop the
   others, and the stage then fails naming every failed destination.

`measure_campaigns(ds)` writes `marts.campaign_results` and the HTML campaign report.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import duckdb

from activation.audiences import Audience, check_audiences, load_audiences
from activation.catalog import KEY, load_catalog
from activation.conditions import referenced_columns
from activation.exports import append_audit, export_rows, write_export_files
from activation.measurement import campaign_members, campaign_results, member_outcomes, write_results
from activation.membership import materialise
from activation.reachability import register_suppressed
from activation.report import write_report
from activation.webhook import DestinationError, sync_webhook
from customer_platform.config import get_settings, parse_iso_date
from customer_platform.restricted import attach_restricted
from customer_platform.warehouse_reader import connect_when_free

log = logging.getLogger(__name__)


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as None, so a task's result is valid JSON (Airflow's XCom)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _usable(audiences: list[Audience], missing: dict[str, str]) -> tuple[list[Audience], dict[str, str]]:
    usable, skipped = [], {}
    for audience in audiences:
        lacking = sorted(referenced_columns(audience.rule) & set(missing))
        if lacking:
            skipped[audience.name] = f"needs {missing[lacking[0]]} ({', '.join(lacking)}), not built yet"
            log.warning("audience %s skipped: %s", audience.name, skipped[audience.name])
        else:
            usable.append(audience)
    return usable, skipped


def _deliver(
    con: duckdb.DuckDBPyConnection, audience: Audience, members, day: dt.date
) -> list[dict[str, Any]]:
    root = get_settings().exports_dir
    records = []
    for destination in audience.destinations:
        record: dict[str, Any] = {
            "audience": audience.name, "audience_version": audience.version, "destination": destination.name,
            "type": destination.type, "channel": audience.channel, "logical_date": day.isoformat(),
            "members": len(members), "holdout_excluded": int(members["is_holdout"].sum()),
        }  # fmt: skip
        try:
            if destination.type == "file":
                rows = export_rows(con, members, audience.channel)
                write_export_files(root, audience.name, audience.version, audience.channel, day, rows)
                record |= {"status": "ok", "rows_exported": len(rows)}
            else:
                sync = sync_webhook(con, audience, destination, members, day)
                record |= {"status": "ok", **sync.__dict__}
        except DestinationError as exc:
            record |= {"status": "failed", "error": str(exc)}
            log.error("%s", exc)
        append_audit(root, record)
        records.append(record)
    return records


def activate_audiences(ds: str) -> dict[str, Any]:
    """Materialise, export and sync every active audience for logical date `ds`; returns counts."""
    settings = get_settings()
    day = parse_iso_date(ds, "logical date")
    audiences = load_audiences(settings.audiences_dir)
    con = connect_when_free(settings.warehouse_path)
    try:
        attach_restricted(con, read_only=True)  # contacts (encrypted) and email unsubscribes
        catalog = load_catalog(con)
        usable, skipped = _usable(audiences, catalog.missing)
        check_audiences(usable, catalog)
        suppressed = register_suppressed(con)
        con.execute("begin transaction")
        try:
            today, counts = materialise(con, day, usable, catalog, settings.hash_salt)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        exports = []
        for audience in usable:
            if audience.is_active(day):
                members = today[today["audience_name"] == audience.name][[KEY, "is_holdout"]]
                exports += _deliver(con, audience, members.reset_index(drop=True), day)
    finally:
        con.close()
    failed = [e for e in exports if e["status"] == "failed"]
    summary = {
        "logical_date": day.isoformat(),
        "audiences": {c.name: c.__dict__ for c in counts},
        "skipped": skipped,
        "suppressed_customers_excluded": suppressed,
        "exports": exports,
    }
    if failed:
        names = ", ".join(f"{e['audience']}/{e['destination']}" for e in failed)
        raise DestinationError(
            f"{len(failed)} destination(s) failed on {day}: {names}; see {settings.exports_dir}/_audit"
        )
    return json_safe(summary)


def measure_campaigns(ds: str) -> dict[str, Any]:
    """Measure every campaign (audiences and logged campaigns) as of `ds`; writes results and the report."""
    settings = get_settings()
    day = parse_iso_date(ds, "logical date")
    windows = {a.name: a.attribution_days for a in load_audiences(settings.audiences_dir)}
    con = connect_when_free(settings.warehouse_path)
    try:
        outcomes = member_outcomes(con, campaign_members(con, windows), day)
        results = campaign_results(outcomes, day)
        con.execute("begin transaction")
        try:
            written = write_results(con, results, day)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.close()
    report = write_report(results, day, settings.reports_dir / "campaigns")
    overall = results[results["segment_name"] == "All"]
    return json_safe(
        {
            "logical_date": day.isoformat(),
            "rows_written": written,
            "report": str(report),
            "campaigns": {
                row.campaign_id: {
                    "source": row.campaign_source,
                    "treatment": row.treatment_members,
                    "holdout": row.holdout_members,
                    "pending": row.pending_members,
                    "conversion_lift_abs": row.conversion_lift_abs,
                    "interval": [row.conversion_lift_abs_low, row.conversion_lift_abs_high],
                    "p_value": row.conversion_p_value,
                    "warning": row.warning,
                }  # fmt: skip
                for row in overall.itertuples()
            },
        }
    )
