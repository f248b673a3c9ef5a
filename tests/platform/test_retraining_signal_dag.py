"""A real DAG run (`airflow dags test`) of the nightly's retraining request: an Asset event only when critical.

The probe DAGs wire `cdp.stage.Signal.emit` exactly as `customer_platform_nightly` does (a
follow-up task with the Asset as outlet, fed the stage's result); a listener is scheduled like
`segmentation_training_weekly` (`AssetOrTimeSchedule`: Sundays or the Asset). After a quiet
night the request task is skipped and no event exists; after a critical one the event carries
the logical date and the listener has a run queued.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from cdp.airflow_env import airflow, dags_test
from cdp.pipeline import RETRAINING_REQUESTED

LOGICAL_DATE = "2026-06-30"
DAG_FILE = '''"""Probe DAGs of tests/platform/test_retraining_signal_dag.py (airflow dag files need both words)."""

from datetime import datetime

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from cdp.pipeline import get_stage

SIGNAL = get_stage("monitor_models").signal


def probe(dag_id, critical):
    @dag(dag_id=dag_id, schedule=None, start_date=datetime(2026, 6, 1), catchup=False, tags=["test"])
    def night():
        @task
        def monitor_models():
            return {"retraining_requested": critical, "retraining_reasons": ["customer_churn v2 feature_psi x = 0.4"]}

        @task(task_id=SIGNAL.task_id, outlets=[Asset(SIGNAL.uri)])
        def emit_signal(stage_result, ds=None, outlet_events=None):
            return SIGNAL.emit(ds, stage_result, outlet_events)

        emit_signal(monitor_models())

    return night()


probe("quiet_night", False)
probe("critical_night", True)


@dag(
    dag_id="retraining_listener",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 * * 0", timezone="UTC"), assets=[Asset(SIGNAL.uri)]
    ),
    start_date=datetime(2026, 6, 1),
    catchup=False,
    tags=["test"],
)
def retraining_listener():
    @task
    def retrain():
        return "retrained"

    retrain()


retraining_listener()
'''


def _events(database) -> list[dict]:
    with sqlite3.connect(database) as con:
        rows = con.execute(
            "select e.extra from asset_event e join asset a on a.id = e.asset_id where a.uri = ?",
            [RETRAINING_REQUESTED],
        ).fetchall()
    return [json.loads(extra) if isinstance(extra, str) else extra for (extra,) in rows]


def _queued(database) -> list[str]:
    with sqlite3.connect(database) as con:
        return [row[0] for row in con.execute("select target_dag_id from asset_dag_run_queue").fetchall()]


@pytest.mark.airflow
def test_the_request_is_skipped_on_a_quiet_night_and_queues_the_listener_on_a_critical_one(
    isolated_settings, tmp_path, monkeypatch
):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "retraining_probe.py").write_text(DAG_FILE, encoding="utf-8")
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(dags))
    airflow(["db", "migrate"], isolated_settings)
    airflow(["dags", "reserialize"], isolated_settings)
    airflow(["dags", "unpause", "retraining_listener"], isolated_settings)  # a paused DAG is never queued
    database = isolated_settings.airflow_home / "airflow.db"

    quiet = dags_test("quiet_night", LOGICAL_DATE, isolated_settings)
    assert quiet.task_states == {"monitor_models": "success", "request_retraining": "skipped"}, (
        quiet.log_path.read_text()[-3000:]
    )
    assert quiet.problem() is None, "a skipped request is a successful night"
    assert _events(database) == [] and _queued(database) == []

    critical = dags_test("critical_night", LOGICAL_DATE, isolated_settings)
    assert critical.task_states == {"monitor_models": "success", "request_retraining": "success"}, (
        critical.log_path.read_text()[-3000:]
    )
    (event,) = _events(database)
    assert event == {"logical_date": LOGICAL_DATE, "reasons": ["customer_churn v2 feature_psi x = 0.4"]}
    assert _queued(database) == ["retraining_listener"], "the listening (unpaused) DAG gets a run queued"
