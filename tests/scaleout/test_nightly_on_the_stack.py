"""`customer_platform_nightly` on the compose file's services, run as real processes on this machine.

One night for one logical date, triggered through Airflow's scheduler (LocalExecutor, PostgreSQL
metadata, tasks talking to the api-server's execution API), ingestion spark-submitted to a
standalone Spark cluster, dbt in the Cosmos mode the compose file configures, models tracked on an
MLflow server whose backend store is PostgreSQL and whose artifacts go through the server. The
last test stops the stack and proves nothing it started is left running.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import duckdb
import pytest

from customer_platform.model_names import CHAMPION, SEGMENTATION_MODEL
from tests.scaleout.services import spark_master_state
from tests.scaleout.stack import log_tail


def _done(night) -> None:
    assert night.state == "success", f"{night.run_id} ended {night.state}:\n{night.failure}"


def test_the_night_is_run_by_the_scheduler_and_every_task_succeeds(scaleout_stack, scaleout_night):
    _done(scaleout_night)
    unfinished = {t: s for t, s in scaleout_night.task_states.items() if s not in ("success", "skipped")}
    assert not unfinished, unfinished
    assert scaleout_night.task_states["seal_restricted"] == "success"
    ((run_type, triggered_by, logical_date),) = scaleout_stack.query(
        "POSTGRES_DB",
        "select run_type, triggered_by, logical_date::date::text from dag_run where run_id = %s",
        (scaleout_night.run_id,),
    )
    # Triggered from the command line and scheduled by the scheduler: not `airflow dags test` (triggered_by test).
    assert (run_type, triggered_by.lower(), logical_date) == ("manual", "cli", scaleout_night.logical_date)


def test_airflow_metadata_lives_in_postgres_and_tasks_report_to_the_api_server(
    scaleout_stack, scaleout_night
):
    _done(scaleout_night)
    jobs = dict(scaleout_stack.query("POSTGRES_DB", "select job_type, count(*) from job group by job_type"))
    assert jobs.get("SchedulerJob", 0) >= 1 and jobs.get("DagProcessorJob", 0) >= 1, jobs
    pools = dict(scaleout_stack.query("POSTGRES_DB", "select pool, slots from slot_pool"))
    assert pools.get("duckdb_warehouse") == 1, pools  # written by `cdp init` (airflow-init)
    ran = scaleout_stack.query(
        "POSTGRES_DB",
        "select count(*) from task_instance where run_id = %s and state = 'success' and hostname <> ''",
        (scaleout_night.run_id,),
    )[0][0]
    assert ran == sum(state == "success" for state in scaleout_night.task_states.values())
    api_log = (scaleout_stack.layout.logs_dir / "airflow-apiserver.log").read_text(errors="replace")
    assert "/execution/task-instances/" in api_log, log_tail(
        scaleout_stack.layout.logs_dir / "airflow-apiserver.log"
    )


def test_ingestion_is_spark_submitted_to_the_standalone_cluster(scaleout_stack, scaleout_night):
    _done(scaleout_night)
    sources = sorted(
        t.removeprefix("ingest.ingest_") for t in scaleout_night.task_states if t.startswith("ingest.")
    )
    assert sources, scaleout_night.task_states
    state = spark_master_state(scaleout_stack)
    finished = {app["name"]: app["state"] for app in state["completedapps"]}
    expected = {f"ingest_{source}_{scaleout_night.logical_date}" for source in sources}
    assert {name: finished.get(name) for name in expected} == dict.fromkeys(expected, "FINISHED"), finished
    data_dir = scaleout_stack.layout.data_dir
    for source in sources:
        manifest = (
            data_dir / "lakehouse" / "_manifests" / source / f"ingest_date={scaleout_night.logical_date}"
        )
        assert (manifest / "manifest.json").is_file(), manifest


def _dbt_execution_mode(stack) -> str:
    """The mode the stack's configuration resolves (`cdp config`), i.e. the one the compose file ships."""
    shown = subprocess.run(
        [sys.executable, "-m", "cdp.cli", "config"], env=stack.env, capture_output=True, text=True, check=True
    ).stdout
    (mode,) = [
        line.split("=", 1)[1].strip() for line in shown.splitlines() if line.startswith("dbt_execution_mode")
    ]
    return mode


def test_dbt_runs_in_the_cosmos_mode_the_compose_file_ships(scaleout_stack, scaleout_night):
    _done(scaleout_night)
    mode = _dbt_execution_mode(scaleout_stack)
    dbt_tasks = {t: s for t, s in scaleout_night.task_states.items() if t.startswith("dbt.")}
    producers = [t for t in dbt_tasks if "producer" in t]
    if mode == "watcher":
        assert producers and all(dbt_tasks[t] == "success" for t in producers), dbt_tasks
    else:
        assert mode == "local" and not producers, (mode, dbt_tasks)
        # One task per model, e.g. dbt.dim_customers_run, each run by its own worker process.
        assert sum(t.endswith("_run") for t in dbt_tasks) >= 20, dbt_tasks
    assert dbt_tasks and set(dbt_tasks.values()) <= {"success", "skipped"}, dbt_tasks


@pytest.fixture(scope="module")
def marts(scaleout_stack, scaleout_night):
    _done(scaleout_night)
    path = scaleout_stack.layout.data_dir / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        yield {
            "customers": con.execute("select count(*) from marts.dim_customers").fetchone()[0],
            "segmented": con.execute("select count(*) from marts.customer_segments").fetchone()[0],
            "run_ids": {
                r[0]
                for r in con.execute("select distinct mlflow_run_id from marts.customer_segments").fetchall()
            },
            "features": con.execute("select count(*) from marts.customer_features").fetchone()[0],
        }


def test_the_marts_are_built(marts):
    assert marts["customers"] > 0
    assert 0 < marts["segmented"] <= marts["customers"]
    assert marts["features"] > 0


def test_the_segmentation_run_is_on_the_mlflow_server_with_its_artifacts(scaleout_stack, marts):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=scaleout_stack.env["MLFLOW_TRACKING_URI"])
    assert client.get_experiment_by_name(SEGMENTATION_MODEL) is not None
    champion = client.get_model_version_by_alias(SEGMENTATION_MODEL, CHAMPION)
    assert marts["run_ids"] == {champion.run_id}, (marts["run_ids"], champion.run_id)
    run = client.get_run(champion.run_id)
    assert run.info.status == "FINISHED"
    # Artifacts went through the server (proxied) into its artifact store, not to a client-side path.
    assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
    assert client.list_artifacts(run.info.run_id), run.info.artifact_uri
    stored = [p for p in scaleout_stack.layout.mlflow_artifacts.rglob("*") if p.is_file()]
    assert any(run.info.run_id in str(p) for p in stored), scaleout_stack.layout.mlflow_artifacts
    # The server's backend store is the PostgreSQL database the compose file names.
    backend = scaleout_stack.query(
        "POSTGRES_MLFLOW_DB", "select status from runs where run_uuid = %s", (run.info.run_id,)
    )
    assert backend == [("FINISHED",)]


def test_stopping_the_stack_ends_every_process_it_started(scaleout_stack, scaleout_night):
    scaleout_stack.stop()
    assert scaleout_stack.leftovers() == []
    assert all(not service.alive() for service in scaleout_stack.services)
    for port in vars(scaleout_stack.ports).values():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
