"""Every DAG imports cleanly and follows the house rules (owner, tags, retries, docs, pools)."""

from __future__ import annotations

import pytest

from cdp.pipeline import NIGHTLY, dag_start_date
from customer_platform.config import REPO_ROOT
from tests.cdp.dagbag import airflow_environment, load_dagbag


@pytest.fixture(scope="module")
def dagbag(session_data_dir):
    return load_dagbag()


def test_every_dag_file_imports(dagbag):
    assert dagbag.import_errors == {}
    dag_files = {p.stem for p in (REPO_ROOT / "dags").glob("*.py") if not p.name.startswith("_")}
    assert dag_files <= set(dagbag.dag_ids), "each DAG file defines the DAG named after it"


def test_dags_have_owner_tags_docs_and_retries(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 100, f"{dag_id} has no documentation"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"
            assert task.retries is not None


def test_nightly_shape(dagbag):
    dag = dagbag.dags["customer_platform_nightly"]
    ids = set(dag.task_ids)
    for source in (
        "crm_customers",
        "web_orders",
        "pos_orders",
        "web_events",
        "email_engagement",
        "demographics",
    ):
        assert f"ingest.ingest_{source}" in ids
    assert {"silver_gate", "marts_gate", "segment_customers", "monitor_models", "summarise_run"} <= ids
    assert "request_retraining" in dag.get_task("monitor_models").downstream_task_ids
    assert any(t.startswith("dbt.") for t in ids), "the dbt project is rendered as tasks"
    assert dag.max_active_runs == 1 and dag.catchup is True
    # Gates never retry: a bad feed stays stopped until someone looks.
    assert dag.get_task("silver_gate").retries == 0
    assert dag.get_task("marts_gate").retries == 0
    # Ingestion retries with exponential backoff.
    ingest = dag.get_task("ingest.ingest_web_orders")
    assert ingest.retries >= 1 and ingest.retry_exponential_backoff
    # Everything that writes DuckDB shares the one-slot pool.
    writers = [
        t
        for t in dag.tasks
        if t.task_id.startswith("dbt.") or t.task_id in {"marts_gate", "segment_customers"}
    ]
    assert writers and all(t.pool == "duckdb_warehouse" for t in writers)
    # Order: ingestion → erasure sweep → silver gate → dbt → marts gate → segments.
    assert "sweep_erased" in dag.get_task("ingest.ingest_crm_customers").downstream_task_ids
    assert "silver_gate" in dag.get_task("sweep_erased").downstream_task_ids
    assert "segment_customers" in dag.get_task("marts_gate").downstream_task_ids
    assert dag.start_date == dag_start_date(), "start_date is CDP_START_DATE"


def test_nightly_dbt_tasks_see_the_active_sources(dagbag):
    dag = dagbag.dags["customer_platform_nightly"]
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt.") and hasattr(t, "env")]
    assert dbt_tasks, "Cosmos renders the dbt project from the manifest"
    for key in ("CDP_DBT_REGISTRY", "CDP_DBT_REGISTRY_DIR", "CDP_LAKEHOUSE_DIR", "CDP_LOGICAL_DATE"):
        assert key in dbt_tasks[0].env, f"dbt tasks miss {key}"
    assert dbt_tasks[0].env["CDP_LOGICAL_DATE"] == "{{ ds }}"
    assert {stage.name for stage in NIGHTLY if stage.dbt_project} == {"dbt"}


@pytest.mark.airflow
def test_nightly_dag_without_a_manifest_fails_to_import_naming_cdp(tmp_path, monkeypatch):
    from customer_platform.config import reload_settings

    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "no-manifest"))
    for name in ("AIRFLOW_HOME", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    reload_settings()
    try:
        with airflow_environment():
            from airflow.dag_processing.dagbag import DagBag

            bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "customer_platform_nightly.py"))
        errors = "\n".join(bag.import_errors.values())
        assert "manifest" in errors and "cdp init" in errors
    finally:
        monkeypatch.undo()
        reload_settings()


def test_weekly_training_runs_on_sundays_or_on_a_retraining_request(dagbag):
    from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable

    from cdp.pipeline import RETRAINING_REQUESTED

    dag = dagbag.dags["segmentation_training_weekly"]
    schedule = dag.timetable
    assert isinstance(schedule, AssetOrTimeSchedule), type(schedule)
    assert isinstance(schedule.timetable, CronTriggerTimetable)
    assert schedule.timetable.expression == "0 6 * * 0", "Sundays at 06:00"
    assert [a.uri for a in schedule.asset_condition.objects] == [Asset(RETRAINING_REQUESTED).uri]
    nightly = dagbag.dags["customer_platform_nightly"]
    emitted = {o.uri for o in nightly.get_task("request_retraining").outlets}
    assert emitted == {Asset(RETRAINING_REQUESTED).uri}, "the nightly DAG emits what the weekly DAG waits on"
    assert dag.catchup is False and dag.max_active_runs == 1
    for task_id in ("retrain_and_promote", "retrain_predictions"):
        assert dag.get_task(task_id).pool == "duckdb_warehouse"


def test_erasure_shape(dagbag):
    dag = dagbag.dags["customer_erasure"]
    assert dag.schedule is None or str(dag.timetable.summary) in {"None", "Never"}, "manual trigger only"
    assert dag.max_active_runs == 1
    # Airflow keeps a run's conf: identifiers wait in a queued request file, the conf names its id.
    assert set(dag.params) == {"request_id"}
    order = ["resolve_targets", "suppress", "purge_exports", "purge_lakehouse", "purge_warehouse", "purge_files",
             "compact_warehouse", "record_audit"]  # fmt: skip
    for earlier, later in zip(order, order[1:], strict=False):
        assert later in dag.get_task(earlier).downstream_task_ids, f"{earlier} runs before {later}"
    writers = {
        "resolve_targets",
        "purge_exports",
        "purge_warehouse",
        "purge_files",
        "compact_warehouse",
        "record_audit",
    }
    assert all(dag.get_task(t).pool == "duckdb_warehouse" for t in writers)
