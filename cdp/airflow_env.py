"""Airflow bootstrap on embedded defaults: environment, metadata database, pool, dbt manifest, `dags test`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cdp.airflow_logs import TaskLogFiles, record_real_start
from customer_platform.config import REPO_ROOT, Settings, get_settings
from customer_platform.warehouse import WAREHOUSE_POOL, dbt_parse

#: Task states that count as done in a successful run.
DONE_STATES = frozenset({"success", "skipped"})


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment for Airflow subprocesses: home, DAG folder, no examples, no telemetry."""
    settings = settings or get_settings()
    env = dict(os.environ)
    env.update(settings.as_env())
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(settings.airflow_home / "logs"))
    env.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "300")
    env.setdefault("AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT", "300")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_CACHE", "True")
    env.setdefault("SCARF_ANALYTICS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def airflow_bin() -> str:
    """The venv's `airflow` executable (the bare name when it is not beside this Python)."""
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def airflow(
    args: list[str], settings: Settings | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run the airflow CLI with the platform's environment."""
    settings = settings or get_settings()
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([airflow_bin(), *args], env=airflow_env(settings), check=check)


def init_airflow(settings: Settings | None = None) -> None:
    """Migrate the metadata database (idempotent), create the warehouse writers' pool, write the dbt manifest.

    The nightly DAG is rendered from the manifest, so it is parsed here with the active
    sources before any Airflow process parses the DAG files.
    """
    settings = settings or get_settings()
    airflow(["db", "migrate"], settings)
    settle_config(settings.airflow_home / "airflow.cfg")
    airflow(
        ["pools", "set", WAREHOUSE_POOL, "1", "DuckDB is single-writer: every warehouse writer"], settings
    )
    dbt_parse(settings.default_logical_date)


#: [core] keys set in the airflow.cfg Airflow generates, so that the plain `airflow` CLI and UI in
#: this home see the platform's DAGs only (a generated file has `load_examples = True`).
CONFIG_KEYS = {"dags_folder": str(REPO_ROOT / "dags"), "load_examples": "False"}


def settle_config(path: Path, keys: dict[str, str] | None = None) -> bool:
    """Set the [core] keys of a generated airflow.cfg in place (comments kept); returns whether it changed."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    settled = text
    for key, value in (keys or CONFIG_KEYS).items():
        settled = re.sub(rf"^{key} = .*$", f"{key} = {value}", settled, count=1, flags=re.MULTILINE)
    if settled != text:
        path.write_text(settled, encoding="utf-8")
    return settled != text


@dataclass
class DagTestResult:
    """What one `airflow dags test` did: exit code, log, run id and the state of every task instance."""

    dag_id: str
    logical_date: str
    code: int
    log_path: Path
    run_id: str | None = None
    task_states: dict[str, str] = field(default_factory=dict)

    def problem(self) -> str | None:
        """Why the run does not count as a success, or None when every task instance is done."""
        if self.code != 0:
            return f"{self.dag_id} failed for {self.logical_date} (exit {self.code})"
        if not self.task_states:
            return (
                f"{self.dag_id} created no task instance for {self.logical_date} "
                "(a logical date before the DAG's start_date, or a DAG that did not load)"
            )
        unfinished = {
            task: state for task, state in sorted(self.task_states.items()) if state not in DONE_STATES
        }
        if unfinished:
            listed = ", ".join(f"{task}={state or 'none'}" for task, state in unfinished.items())
            return f"{self.dag_id} run for {self.logical_date} left tasks unfinished: {listed}"
        return None


def dags_test(
    dag_id: str, logical_date: str, settings: Settings | None = None, mark_success: str | None = None
) -> DagTestResult:
    """Run a whole DAG for one logical date in one process (`airflow dags test`), then read its task states.

    Airflow's log goes to `data/runs/<dag_id>__<date>.log`, and each task's part of it to the
    task log file the Airflow UI shows (`cdp.airflow_logs`); task state changes are echoed.
    The run's start is then set to when it really ran. The task states come from the metadata
    database (`airflow tasks states-for-dag-run`). mark_success: a regular expression of task
    ids marked successful without running (Airflow's `--mark-success-pattern`).
    """
    settings = settings or get_settings()
    log_path = settings.run_summaries_dir / f"{dag_id}__{logical_date}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    env = airflow_env(settings)
    extra = ["--mark-success-pattern", mark_success] if mark_success else []
    launched = datetime.now(UTC)
    task_logs = TaskLogFiles(Path(env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]), dag_id)
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [airflow_bin(), "dags", "test", dag_id, logical_date, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        progress = _TaskProgress()
        for line in process.stdout:
            log_file.write(line)
            task_logs.feed(line)
            message = progress.feed(line)
            if message:
                print("  " + message, flush=True)
        code = process.wait()
        task_logs.close()
    result = DagTestResult(dag_id, logical_date, code, log_path, run_id=progress.run_id)
    if progress.run_id:
        record_real_start(dag_id, progress.run_id, launched, env)
    result.task_states = task_states(dag_id, progress.run_id or logical_date, settings)
    return result


def task_states(dag_id: str, run_id_or_date: str, settings: Settings | None = None) -> dict[str, str]:
    """Task id -> state of every task instance of one DAG run (empty when the run has none or is not found)."""
    completed = subprocess.run(
        [airflow_bin(), "tasks", "states-for-dag-run", dag_id, run_id_or_date, "--output", "json"],
        env=airflow_env(settings or get_settings()),
        capture_output=True,
        text=True,
        check=False,
    )
    return parse_task_states(completed.stdout) if completed.returncode == 0 else {}


def parse_task_states(output: str) -> dict[str, str]:
    """The task states in the JSON list `airflow tasks states-for-dag-run --output json` prints."""
    decoder = json.JSONDecoder()
    # Log lines may come first on the same stream: take the first line that decodes as a JSON list.
    for match in re.finditer(r"^\s*\[", output, flags=re.MULTILINE):
        try:
            rows, _ = decoder.raw_decode(output, match.end() - 1)
        except json.JSONDecodeError:
            continue
        if isinstance(rows, list) and all(isinstance(row, dict) and "task_id" in row for row in rows):
            return {row["task_id"]: row.get("state") or "" for row in rows}
    return {}


class _TaskProgress:
    """Turns Airflow's `dags test` log into one line per finished task."""

    _START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
    _STATE = re.compile(r"new_state=(\w+)")
    _END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
    _RUN = re.compile(r"DagRun Finished: .*?run_id=([^,\s]+),.*?state=(\w+)")
    #: An INFO line of the platform's own packages: a long task's progress, echoed as it happens.
    _PROGRESS = re.compile(
        r"\[info\s*\] (.+?)\s+\[(?:spark_jobs|expectations|models|monitoring|activation|privacy|cdp)[\w.]*\]"
    )

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.state = "?"
        self.finished = 0
        self.run_id: str | None = None

    def feed(self, line: str) -> str | None:
        if match := self._START.search(line):
            self.started[match.group(1)] = time.monotonic()
            self.state = "?"
        elif match := self._STATE.search(line):
            self.state = match.group(1)
        elif match := self._END.search(line):
            task = match.group(1)
            seconds = time.monotonic() - self.started.get(task, time.monotonic())
            self.finished += 1
            return f"{task:<48} {self.state:<10} {seconds:6.1f} s"
        elif match := self._RUN.search(line):
            self.run_id = match.group(1)
            return f"DAG run finished: {match.group(2)} ({self.finished} tasks ran)"
        elif match := self._PROGRESS.search(line):
            return f"    {match.group(1)}"
        return None
