"""`cdp run` counts a DAG run as a success only when it ran every task: the checks on `dags test`."""

from __future__ import annotations

from pathlib import Path

from cdp.airflow_env import DagTestResult, _TaskProgress, parse_task_states

STATES_OUTPUT = """2026-12-02T15:00:00Z [warning  ] section/key [openlineage/namespace] not found in config
[
  {"dag_id": "customer_platform_nightly", "logical_date": "2026-06-02T00:00:00+00:00",
   "task_id": "ingest.ingest_web_orders", "state": "success", "start_date": "", "end_date": ""},
  {"dag_id": "customer_platform_nightly", "logical_date": "2026-06-02T00:00:00+00:00",
   "task_id": "summarise_run", "state": null, "start_date": "", "end_date": ""}
]
"""


def _result(code: int = 0, states: dict[str, str] | None = None) -> DagTestResult:
    return DagTestResult("customer_platform_nightly", "2026-06-02", code, Path("x.log"), "r1", states or {})


def test_task_states_are_read_past_log_lines():
    assert parse_task_states(STATES_OUTPUT) == {"ingest.ingest_web_orders": "success", "summarise_run": ""}
    assert parse_task_states("[]\n") == {}
    assert parse_task_states("DagRun not found\n") == {}


def test_a_run_without_task_instances_is_not_a_success():
    problem = _result(states={}).problem()
    assert problem and "created no task instance" in problem and "start_date" in problem


def test_a_run_with_an_unfinished_task_is_not_a_success():
    problem = _result(states={"silver_gate": "success", "summarise_run": ""}).problem()
    assert problem and "summarise_run=none" in problem


def test_a_failed_exit_code_wins_and_a_complete_run_passes():
    assert "exit 1" in _result(code=1, states={"a": "success"}).problem()
    assert _result(states={"a": "success", "b": "skipped"}).problem() is None


def test_progress_reads_the_run_id_and_counts_the_tasks():
    progress = _TaskProgress()
    progress.feed("[DAG TEST] starting task_id=silver_gate map_index=-1")
    progress.feed("... new_state=success ...")
    assert progress.feed("[DAG TEST] end task task_id=silver_gate map_index=-1").startswith("silver_gate")
    line = progress.feed(
        "DagRun Finished: dag_id=customer_platform_nightly, logical_date=2026-06-02 00:00:00+00:00, "
        "run_id=manual__2026-06-02T00:00:00+00:00, run_start_date=..., state=success, run_type=manual,"
    )
    assert line == "DAG run finished: success (1 tasks ran)"
    assert progress.run_id == "manual__2026-06-02T00:00:00+00:00"
