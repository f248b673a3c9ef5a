"""Task bodies and shared settings for the Airflow DAGs.

DAG files stay configuration: each task calls one function here with the logical date.
Heavy libraries (Spark, Great Expectations, MLflow) are imported inside the functions so
DAG parsing stays fast.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from customer_platform.alerts import send_alert
from customer_platform.config import get_settings
from customer_platform.restricted_store import restrict_new_files
from customer_platform.warehouse import WAREHOUSE_POOL  # noqa: F401 - the DAG files import the pool name from here

log = logging.getLogger(__name__)

# Every DAG imports this module, so Airflow's task processes create owner-only files too
# (lakehouse, databases, exports and logs hold or derive from personal data).
restrict_new_files()


OWNER = "data-platform"


def default_args(retries: int = 2, retry_delay: timedelta = timedelta(minutes=2)) -> dict[str, Any]:
    """Default task arguments: owner, retries with exponential backoff, failure record."""
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": on_failure_record,
    }


def dbt_executable() -> str:
    """The dbt executable of this interpreter's environment."""
    import shutil
    import sys
    from pathlib import Path

    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def silver_asset_uri(table: str) -> str:
    """Asset URI of a silver table (file scheme on the configured lakehouse)."""
    return f"file://{get_settings().silver_dir / table}"


def warehouse_asset_uri(table: str) -> str:
    """Asset URI of a warehouse table."""
    return f"duckdb://{get_settings().warehouse_path}/{table}"


def _date(ds: str | None) -> str:
    if not ds:
        raise ValueError("logical date (ds) is required")
    datetime.strptime(ds, "%Y-%m-%d")
    return ds


def on_failure_record(context: dict[str, Any]) -> None:
    """Append a failure record (task, logical date, reason) to data/runs/failures.jsonl, and alert.

    Used as both the tasks' and the DAGs' `on_failure_callback`. Airflow calls a task's only
    when its last try has failed (a try with retries left calls `on_retry_callback`), so one
    failed task is one record and one "failure" alert (`send_alert`, no personal data). The
    DAG's callback (its context has a `reason`) records the run; it alerts only when no task
    did (`timed_out`, a deadlock), not for `task_failure`.
    """
    settings = get_settings()
    ti = context.get("task_instance") or context.get("ti")
    exception = context.get("exception")
    scope = "task" if exception or "reason" not in context else "dag_run"
    record = {
        "scope": scope,
        "dag_id": getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id"),
        "logical_date": context.get("ds"),
        "try_number": getattr(ti, "try_number", None),
        "reason": _failure_reason(scope, exception, context),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = settings.run_summaries_dir / "failures.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    log.error("failure recorded: %s", record)
    if scope == "task" or context.get("reason") != "task_failure":
        _alert_failure(record, context, exception, str(path))


def _failure_reason(scope: str, exception: Any, context: dict[str, Any]) -> str:
    if exception:
        return f"{type(exception).__name__}: {exception}"
    if scope == "dag_run":
        return str(context.get("reason") or "DAG run failed (see the failed task's record)")
    return "task failed without an exception (killed, or lost its heartbeat)"


def _alert_failure(record: dict[str, Any], context: dict[str, Any], exception: Any, path: str) -> None:
    """One "failure" alert for a failure record; never raises (the callback must not fail)."""
    try:
        ti = context.get("task_instance") or context.get("ti")
        # Airflow passes the exception, or only its text on some paths.
        error = type(exception).__name__ if isinstance(exception, BaseException) else None
        if record["scope"] == "task":
            cause = error or ("error" if exception else "no exception: killed, or lost its heartbeat")
            summary = f"{record['dag_id']}.{record['task_id']} failed for {record['logical_date']} ({cause})"
        else:
            summary = f"{record['dag_id']} run {record['run_id']} failed: {context.get('reason')}"
        details = {key: record[key] for key in ("dag_id", "task_id", "run_id", "logical_date", "try_number")}
        details |= {
            "max_tries": getattr(ti, "max_tries", None),
            "exception_class": error,
            "exception": str(exception) if exception else None,  # send_alert scrubs it
            "reason": context.get("reason"),
            "failure_record": path,
            "log_url": getattr(ti, "log_url", None) if record["scope"] == "task" else None,
        }
        send_alert("failure", summary, {k: v for k, v in details.items() if v is not None})
    except Exception as exc:  # noqa: BLE001 - an alert problem must not hide the failure
        log.error("failure alert not sent: %s", type(exc).__name__)


def run_ingestion(source: str, ds: str | None, run_id: str | None) -> dict[str, Any]:
    """Ingest one source's drop for the logical date; returns counts for XCom.

    In-process Spark on one machine; `spark-submit` to the configured master when scaled
    out (`CDP_SPARK_SUBMIT`, by default whenever `SPARK_MASTER` is not local).
    """
    if get_settings().uses_spark_submit:
        from spark_jobs.submit import submit_ingestion

        manifest = submit_ingestion(source, _date(ds), run_id or f"manual__{ds}")
    else:
        from spark_jobs.ingest import ingest_source

        manifest = ingest_source(source, _date(ds), run_id=run_id)
    return {k: v for k, v in manifest.items() if not isinstance(v, (list, dict))}


def run_erasure_sweep(ds: str | None) -> dict[str, Any]:
    """Remove suppressed (erased) people from the date's raw layers; rows removed per layer."""
    from privacy.purge import sweep_suppressed

    removed = sweep_suppressed(_date(ds))
    if removed:
        log.info("erasure sweep for %s removed %s", ds, removed)
    return removed


def run_quality_gate(gate: str, ds: str | None, run_id: str | None) -> dict[str, Any]:
    """Run a Great Expectations gate; raises on critical failure, returns warnings for XCom."""
    from expectations.runner import run_gate

    result = run_gate(gate, _date(ds), run_id or f"manual__{ds}")
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def run_segmentation(ds: str | None) -> dict[str, Any]:
    """Score customers with the champion model (training the first one if needed)."""
    from models.jobs import run_nightly

    result = run_nightly(_date(ds))
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def run_predictions(ds: str | None) -> dict[str, Any]:
    """Score churn risk and lifetime value with the champions (training the first ones if needed)."""
    from models.jobs import run_nightly_predictions

    return run_nightly_predictions(_date(ds))


def run_activation(ds: str | None) -> dict[str, Any]:
    """Materialise, export and sync the active audiences (`activation.run.activate_audiences`)."""
    from activation.run import activate_audiences

    return activate_audiences(_date(ds))


def run_personalisation(ds: str | None) -> dict[str, Any]:
    """Next best action per customer and channel, and co-purchase product recommendations."""
    from activation.next_best_action import run_next_best_action
    from activation.recommendations import build_recommendations

    day = _date(ds)
    return {"next_best_action": run_next_best_action(day), "recommendations": build_recommendations(day)}


def run_campaign_measurement(ds: str | None) -> dict[str, Any]:
    """Measure campaign lift and write the campaign report (`activation.run.measure_campaigns`)."""
    from activation.run import measure_campaigns

    return measure_campaigns(_date(ds))


def run_monitoring(ds: str | None) -> dict[str, Any]:
    """Drift, stability and KPI checks into `marts.model_monitoring`; counts per status and critical subjects.

    Critical findings are logged as a warning and sent as one "critical" alert (model, check,
    subject and value only); `retraining_requested` makes the nightly DAG's `request_retraining`
    task update the Asset the weekly training DAG runs on.
    """
    from monitoring.run import monitor_models

    result = monitor_models(_date(ds))
    critical = critical_findings(result)
    if critical:
        log.warning("monitoring %s: %d critical finding(s): %s", ds, len(critical), "; ".join(critical))
        _alert_critical(result, critical)
    if result["retraining_requested"]:
        log.warning("monitoring %s requests retraining: %s", ds, "; ".join(result["retraining_reasons"]))
    return result


def critical_findings(result: dict[str, Any]) -> list[str]:
    """One line per critical finding of a monitoring result: model, version, check, subject, value."""
    from monitoring.run import describe

    return [describe(finding) for finding in result.get("critical", [])]


def _alert_critical(result: dict[str, Any], critical: list[str]) -> None:
    """One "critical" alert for the night's critical findings; never raises (the stage's rows are written)."""
    try:
        requested = " (retraining requested)" if result["retraining_requested"] else ""
        send_alert(
            "critical",
            f"monitoring {result['logical_date']}: {len(critical)} critical finding(s){requested}",
            {
                "logical_date": result["logical_date"],
                "stage": "monitor_models",
                "count": len(critical),
                "metric": "; ".join(critical),
                "table": "marts.model_monitoring",
            },
        )
    except Exception as exc:  # noqa: BLE001 - an alert problem must not fail the night
        log.error("monitoring alert not sent: %s", type(exc).__name__)


def retraining_date(ds: str | None, triggering_asset_events: Any = None) -> str:
    """The logical date a weekly training run uses: its own, else the newest one a retraining request named.

    A run started by an Asset event has no logical date; the nightly's `request_retraining` task puts
    the date that asked into the event's extra (`cdp.stage.Signal`).
    """
    if ds:
        return _date(ds)
    events = [event for batch in (triggering_asset_events or {}).values() for event in batch]
    dates = [(getattr(event, "extra", None) or {}).get("logical_date") for event in events]
    if not any(dates):
        raise ValueError("no logical date: the run has none and no triggering Asset event names one")
    return _date(max(d for d in dates if d))


def write_run_summary(ds: str | None, run_id: str | None) -> str:
    """Write data/runs/<ds>.json with rows per layer, gate warnings and segment sizes."""
    from cdp.summary import collect_summary

    settings = get_settings()
    summary = collect_summary(_date(ds), run_id)
    path = settings.run_summaries_dir / f"{ds}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    log.info("run summary written to %s", path)
    return str(path)


def run_weekly_training(ds: str | None) -> dict[str, Any]:
    """Train a challenger, promote it by the documented rule, and rescore."""
    from models.jobs import run_weekly

    result = run_weekly(_date(ds))
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def run_weekly_prediction_training(ds: str | None) -> dict[str, Any]:
    """Train churn and lifetime-value challengers, promote each by its rule, and rescore."""
    from models.jobs import run_weekly_predictions

    return run_weekly_predictions(_date(ds))
