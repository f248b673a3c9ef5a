"""A real DAG run (`airflow dags test`, the runner `cdp run` uses) whose task fails: exactly one alert arrives.

The task retries once, so Airflow runs it twice: the first try only calls the retry callback,
the last one the failure callback; the DAG's own failure callback then records the run
without alerting again. The exception quotes a customer's e-mail and phone; neither arrives.
"""

from __future__ import annotations

import json

import pytest

from cdp.airflow_env import airflow, dags_test

DAG_ID = "alert_probe"
LOGICAL_DATE = "2026-06-30"
# Wired like the platform's DAGs: default_args from cdp.tasks (retries, the failure callback)
# and the same callback at DAG level.
DAG_FILE = '''"""Probe DAG of tests/platform/test_alert_dag.py: one task that fails after one retry."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from cdp.tasks import default_args, on_failure_record


@dag(
    dag_id="alert_probe",
    schedule=None,
    start_date=datetime(2026, 6, 1),
    catchup=False,
    default_args=default_args(retries=1, retry_delay=timedelta(seconds=1)),
    on_failure_callback=on_failure_record,
    tags=["test"],
)
def alert_probe():
    @task
    def load_contacts(ds=None):
        raise ValueError("bad row for ann.smith@example.com, phone 07700 900123 (customer C0000123)")

    load_contacts()


alert_probe()
'''


@pytest.mark.airflow
def test_a_failing_task_sends_one_alert_to_a_local_webhook(
    isolated_settings, alert_env, webhook, tmp_path, monkeypatch
):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text(DAG_FILE, encoding="utf-8")
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    settings = alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    airflow(["db", "migrate"], settings)

    result = dags_test(DAG_ID, LOGICAL_DATE, settings)

    assert result.task_states == {"load_contacts": "failed"}, result.log_path.read_text()[-3000:]
    assert sum(webhook.tries.values()) == 1, "one POST: the first try's failure (retried) sends nothing"
    (alert,) = webhook.accepted
    assert alert["severity"] == "failure"
    assert alert["summary"] == f"{DAG_ID}.load_contacts failed for {LOGICAL_DATE} (ValueError)"
    details = alert["details"]
    assert details["try_number"] == 2 and details["max_tries"] == 1, "sent after the last try"
    assert details["exception"] == "bad row for [email], phone [phone] (customer C[number])"
    assert details["run_id"] == result.run_id and details["logical_date"] == LOGICAL_DATE
    received = webhook.received_bytes().decode()
    for planted in ("ann.smith", "example.com", "07700", "900123", "0000123"):
        assert planted not in received
    records = [
        json.loads(line) for line in (settings.run_summaries_dir / "failures.jsonl").read_text().splitlines()
    ]
    assert [(r["scope"], r["try_number"]) for r in records] == [("task", 2), ("dag_run", 2)]
    assert "ann.smith@example.com" in records[0]["reason"], "the local record keeps the full error"
