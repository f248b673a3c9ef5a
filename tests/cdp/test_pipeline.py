"""The nightly pipeline is one list: the DAG wires it, the in-process runner and the benchmark follow it."""

from __future__ import annotations

import dataclasses

import pytest

from cdp import pipeline
from cdp.pipeline import NIGHTLY
from customer_platform.config import REPO_ROOT, reload_settings
from customer_platform.registry import get_registry
from tests.cdp.dagbag import load_dagbag

NIGHTLY_FILE = REPO_ROOT / "dags" / "customer_platform_nightly.py"
#: The DAG's task ids are a contract (docs, runbooks, `airflow tasks clear`): the order is too.
CONTRACT_ORDER = [
    "ingest",
    "sweep_erased",
    "silver_gate",
    "dbt",
    "marts_gate",
    "segment_customers",
    "predict_customers",
    "activate_audiences",
    "recommend_actions",
    "measure_campaigns",
    "monitor_models",
    "summarise_run",
    "seal_restricted",
]
#: Follow-up tasks of stages with a Signal: task id -> its stage.
SIGNAL_TASKS = {s.signal.task_id: s.name for s in NIGHTLY if s.signal is not None}


def _stage_of(task_id: str) -> str:
    return SIGNAL_TASKS.get(task_id, task_id.split(".", 1)[0])


@pytest.fixture(scope="module")
def nightly(session_data_dir):
    return load_dagbag(NIGHTLY_FILE).dags["customer_platform_nightly"]


def test_the_pipeline_lists_the_nightly_stages_in_order():
    assert [stage.name for stage in NIGHTLY] == CONTRACT_ORDER
    assert [s.name for s in NIGHTLY if s.per_source] == ["ingest"]
    writers = {s.name for s in NIGHTLY if s.writes_warehouse}
    assert writers == {
        "dbt",
        "marts_gate",
        "segment_customers",
        "predict_customers",
        "activate_audiences",
        "recommend_actions",
        "measure_campaigns",
        "monitor_models",
    }, (  # fmt: skip
        "DuckDB writers take the one-slot pool"
    )
    assert {s.name for s in NIGHTLY if s.retries == 0} >= {"silver_gate", "marts_gate"}, "gates never retry"


@pytest.mark.airflow
@pytest.mark.dbt
def test_the_dag_task_ids_follow_the_pipeline(nightly):
    order = {stage.name: position for position, stage in enumerate(NIGHTLY)}
    assert {_stage_of(t) for t in nightly.task_ids} == set(order), "one task (group) per stage, nothing else"
    assert set(pipeline.task_ids()) == {t for t in nightly.task_ids if not t.startswith("dbt.")}
    for task in nightly.tasks:
        for downstream in task.downstream_task_ids:
            assert order[_stage_of(task.task_id)] <= order[_stage_of(downstream)], (
                f"{task.task_id} -> {downstream}"
            )
    for earlier, later in zip(NIGHTLY, NIGHTLY[1:], strict=False):
        edges = [
            (t.task_id, d)
            for t in nightly.tasks
            if _stage_of(t.task_id) == earlier.name
            for d in t.downstream_task_ids
            if _stage_of(d) == later.name
        ]
        assert edges, f"{earlier.name} runs before {later.name}"


@pytest.mark.airflow
@pytest.mark.dbt
def test_stage_settings_reach_the_tasks(nightly):
    from airflow.sdk import Asset

    def uris(stage, source=None):
        # Airflow normalises asset URIs; compare in its form.
        return sorted(Asset(uri).uri for uri in stage.outlet_uris(source))

    for stage in NIGHTLY:
        if stage.dbt_project or stage.per_source:
            continue
        task = nightly.get_task(stage.name)
        assert (task.pool == "duckdb_warehouse") == stage.writes_warehouse, stage.name
        if stage.retries is not None:
            assert task.retries == stage.retries, stage.name
        assert sorted(o.uri for o in task.outlets) == uris(stage), stage.name
    ingest = nightly.get_task("ingest.ingest_web_orders")
    assert [o.uri for o in ingest.outlets] == uris(pipeline.get_stage("ingest"), "web_orders")


@pytest.mark.airflow
@pytest.mark.dbt
def test_sealing_the_restricted_database_is_a_teardown_after_the_summary(nightly):
    """It runs however the stages before it ended, and does not decide the run's state."""
    seal = nightly.get_task("seal_restricted")
    assert seal.is_teardown and seal.upstream_task_ids == {"summarise_run"}
    assert seal.trigger_rule == "all_done_setup_success"
    assert nightly.get_task("summarise_run").downstream_task_ids == {"seal_restricted"}


@pytest.mark.airflow
@pytest.mark.dbt
def test_the_retraining_request_follows_monitoring_and_is_skipped_on_a_quiet_night(nightly):
    from airflow.sdk import Asset
    from airflow.sdk.exceptions import AirflowSkipException

    assert SIGNAL_TASKS == {"request_retraining": "monitor_models"}
    request = nightly.get_task("request_retraining")
    assert request.upstream_task_ids == {"monitor_models"}
    assert request.downstream_task_ids == set(), "nothing waits on it: a skip stops nothing"
    assert "summarise_run" in nightly.get_task("monitor_models").downstream_task_ids
    assert [o.uri for o in request.outlets] == [Asset(pipeline.RETRAINING_REQUESTED).uri]
    emit = request.python_callable
    with pytest.raises(AirflowSkipException):
        emit({"retraining_requested": False, "retraining_reasons": []}, ds="2026-06-10", outlet_events={})
    events = {Asset(pipeline.RETRAINING_REQUESTED): type("Accessor", (), {"extra": None})()}
    extra = emit(
        {
            "retraining_requested": True,
            "retraining_reasons": ["customer_churn v2 feature_psi tenure_days = 0.566"],
        },
        ds="2026-06-10",
        outlet_events=events,
    )
    assert extra == {
        "logical_date": "2026-06-10",
        "reasons": ["customer_churn v2 feature_psi tenure_days = 0.566"],
    }
    assert events[Asset(pipeline.RETRAINING_REQUESTED)].extra == extra, (
        "the event carries the date that asked"
    )


@pytest.mark.airflow
@pytest.mark.dbt
def test_a_smaller_cdp_sources_yields_ingest_tasks_only_for_the_active_sources(monkeypatch):
    monkeypatch.setenv("CDP_SOURCES", "crm_customers,web_orders")
    reload_settings()
    try:
        bag = load_dagbag(NIGHTLY_FILE)
        assert bag.import_errors == {}
        dag = bag.dags["customer_platform_nightly"]
        ingest = sorted(t for t in dag.task_ids if t.startswith("ingest."))
        assert ingest == ["ingest.ingest_crm_customers", "ingest.ingest_web_orders"]
        dbt_task = next(t for t in dag.tasks if t.task_id.startswith("dbt.") and hasattr(t, "env"))
        assert '"name":"web_orders"' in dbt_task.env["CDP_DBT_REGISTRY"]
        assert '"name":"pos_orders"' not in dbt_task.env["CDP_DBT_REGISTRY"], (
            "dbt sees the active sources only"
        )
    finally:
        monkeypatch.undo()
        reload_settings()


def _recording_pipeline(calls: list[tuple]) -> tuple[pipeline.Stage, ...]:
    def body_for(stage):
        def per_source(source, ds, run_id):
            calls.append((stage.name, source, ds, run_id))
            return {"rows_read": 3, "rows_silver": 2}

        def once(ds, run_id):
            calls.append((stage.name, None, ds, run_id))
            return {
                "scored": {
                    "rows": 1,
                    "model_version": "1",
                    "stability_ari": None,
                    "segment_counts": {},
                    "customers": 1,
                    "at_risk": 0,
                    "churn_model_version": "1",
                    "clv_model_version": "1",
                },
                "trained": None,
            }

        return per_source if stage.per_source else once

    return tuple(dataclasses.replace(stage, body=body_for(stage)) for stage in NIGHTLY)


def _expected_calls(ds: str, run_id: str) -> list[tuple]:
    active = get_registry().active
    expected = []
    for stage in NIGHTLY:
        sources = active if stage.per_source else (None,)
        expected += [(stage.name, source, ds, run_id) for source in sources]
    return expected


def test_the_in_process_runner_runs_every_stage_in_order(monkeypatch):
    import cdp.backfill

    calls: list[tuple] = []
    monkeypatch.setattr(cdp.backfill, "NIGHTLY", _recording_pipeline(calls))
    results = cdp.backfill.run_nightly_in_process("2026-06-02", run_id="r1")
    assert calls == _expected_calls("2026-06-02", "r1")
    assert list(results) == CONTRACT_ORDER
    assert set(results["ingest"]) == set(get_registry().active)


def test_the_benchmark_times_every_stage_in_pipeline_order(monkeypatch):
    from bench import stages as bench_stages
    from bench.monitor import RssSampler, StageRecorder

    calls: list[tuple] = []
    monkeypatch.setattr(bench_stages, "NIGHTLY", _recording_pipeline(calls))
    monkeypatch.setattr(bench_stages, "_add_dbt_detail", lambda recorder, stage, phase: None)
    recorder = StageRecorder(RssSampler())
    rows = bench_stages.run_pipeline(recorder, "2026-06-02", "b1", "nightly", history_rows=10)
    assert calls == _expected_calls("2026-06-02", "b1")
    active = get_registry().active
    assert rows == 2 * len(active)
    names = [s.name for s in recorder.stages]
    assert names == [f"ingest {s}" for s in active] + [s.label for s in NIGHTLY if not s.per_source]
    # The report's figures are found by these names (bench.report).
    assert {
        "dbt build",
        "scoring + write-back",
        "silver gate",
        "marts gate",
        "churn + lifetime value",
    } <= set(names)
    predictions = next(s for s in recorder.stages if s.name == "churn + lifetime value")
    assert predictions.rows_out == 1 and predictions.detail["at_risk"] == 0
    dbt = next(s for s in recorder.stages if s.name == "dbt build")
    assert dbt.rows_in == 10 + rows, "dbt's input is every silver row so far"


def test_a_stage_run_needs_a_logical_date_and_per_source_stages_a_source():
    with pytest.raises(ValueError, match="logical date"):
        pipeline.run_stage("silver_gate", None, "r1")
    with pytest.raises(ValueError, match="source"):
        pipeline.get_stage("ingest").run("2026-06-02", "r1")
    with pytest.raises(KeyError, match="summarise_run"):
        pipeline.get_stage("no_such_stage")


def test_cosmos_env_is_dbt_env_with_the_templated_date_and_without_target_paths():
    env = pipeline.cosmos_env()
    assert env["CDP_LOGICAL_DATE"] == "{{ ds }}"
    assert "CDP_DBT_REGISTRY" in env and "CDP_LAKEHOUSE_DIR" in env
    assert "DBT_TARGET_PATH" not in env and "DBT_LOG_PATH" not in env
