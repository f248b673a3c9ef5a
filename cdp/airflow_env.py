"""Airflow bootstrap on embedded defaults: environment, metadata database, pool, `dags test`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from customer_platform.config import REPO_ROOT, Settings, get_settings
from customer_platform.warehouse import WAREHOUSE_POOL


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment for Airflow subprocesses: home, DAG folder, no examples, no telemetry."""
    settings = settings or get_settings()
    env = dict(os.environ)
    env.update(settings.as_env())
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
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


def _airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def airflow(args: list[str], settings: Settings | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the airflow CLI with the platform's environment."""
    settings = settings or get_settings()
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([_airflow_bin(), *args], env=airflow_env(settings), check=check)


def init_airflow(settings: Settings | None = None) -> None:
    """Migrate the metadata database (idempotent) and create the warehouse writers' pool."""
    settings = settings or get_settings()
    airflow(["db", "migrate"], settings)
    airflow(["pools", "set", WAREHOUSE_POOL, "1", "DuckDB is single-writer: every warehouse writer"], settings)


def dags_test(dag_id: str, logical_date: str, settings: Settings | None = None) -> tuple[int, Path]:
    """Run a whole DAG for one logical date in one process (`airflow dags test`).

    Airflow's log goes to `data/runs/<dag_id>__<date>.log`; task state changes are echoed.
    Returns the exit code and the log path.
    """
    settings = settings or get_settings()
    log_path = settings.run_summaries_dir / f"{dag_id}__{logical_date}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [_airflow_bin(), "dags", "test", dag_id, logical_date],
            env=airflow_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert process.stdout is not None
        progress = _TaskProgress()
        for line in process.stdout:
            log_file.write(line)
            message = progress.feed(line)
            if message:
                print("  " + message, flush=True)
        code = process.wait()
    return code, log_path


class _TaskProgress:
    """Turns Airflow's `dags test` log into one line per finished task."""

    _START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
    _STATE = re.compile(r"new_state=(\w+)")
    _END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
    _RUN = re.compile(r"DagRun Finished: .*?state=(\w+)")

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.state = "?"

    def feed(self, line: str) -> str | None:
        if match := self._START.search(line):
            self.started[match.group(1)] = time.monotonic()
            self.state = "?"
        elif match := self._STATE.search(line):
            self.state = match.group(1)
        elif match := self._END.search(line):
            task = match.group(1)
            seconds = time.monotonic() - self.started.get(task, time.monotonic())
            return f"{task:<48} {self.state:<10} {seconds:6.1f} s"
        elif match := self._RUN.search(line):
            return f"DAG run finished: {match.group(1)}"
        return None
