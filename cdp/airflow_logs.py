"""What the Airflow UI shows of a `cdp run`: task log files and the run's real start.

`airflow dags test` runs every task in its own process and writes no task log file: the
output of all tasks goes to its stdout (`data/runs/<dag>__<date>.log`). `TaskLogFiles` splits
that stream as it comes, task by task, into the files the UI reads
(`<base_log_folder>/dag_id=…/run_id=…/task_id=…/attempt=N.log`, Airflow's default
`log_filename_template`), one JSON event per line like the task supervisor's own logs.

`dags test` also records the run as started at its logical date, so a run for a past date
shows a duration of months; `record_real_start` sets the start to when its first task began.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STRUCTLOG = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\dT[\d:.]+Z) \[(?P<level>\w+)\s*\] (?P<event>.*)$")


def task_log_path(base: Path, dag_id: str, run_id: str, task_id: str, map_index: int, attempt: int) -> Path:
    """Where Airflow's default `log_filename_template` puts one attempt of a task instance."""
    mapped = f"map_index={map_index}/" if map_index >= 0 else ""
    return (
        base
        / f"dag_id={dag_id}"
        / f"run_id={run_id}"
        / f"task_id={task_id}"
        / f"{mapped}attempt={attempt}.log"
    )


def log_event(line: str, last_timestamp: str | None) -> dict[str, str]:
    """One output line as the JSON event the UI renders (lines without a timestamp take the previous one)."""
    text = _ANSI.sub("", line.rstrip("\n"))
    match = _STRUCTLOG.match(text)
    if match:
        return {"timestamp": match["ts"], "level": match["level"], "event": match["event"].rstrip()}
    event = {"event": text}
    if last_timestamp:
        event["timestamp"] = last_timestamp
    return event


class TaskLogFiles:
    """Feeds on `airflow dags test` output lines; writes each task's lines to its task log file."""

    _START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
    _END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")

    def __init__(self, base_log_folder: Path, dag_id: str) -> None:
        self.base = base_log_folder
        self.dag_id = dag_id
        self._running = re.compile(
            rf"\[DAG TEST\] running task <TaskInstance: {re.escape(dag_id)}\.\S+ (\S+) "
        )
        self.attempts: dict[tuple[str, int], int] = {}
        self.written: list[Path] = []
        self._task: tuple[str, int] | None = None
        self._pending: list[str] = []
        self._file: IO[str] | None = None
        self._timestamp: str | None = None

    def feed(self, line: str) -> None:
        """Take one line of the stream (lines outside a task are ignored)."""
        if match := self._START.search(line):
            self.close()
            self._task = (match.group(1), int(match.group(2)))
            self.attempts[self._task] = self.attempts.get(self._task, 0) + 1
            self._pending = [line]
            return
        if self._task is None:
            return
        if self._file is None and (match := self._running.search(line)):
            self._open(run_id=match.group(1))
        if self._file is None:
            self._pending.append(line)
        else:
            self._write(line)
        if self._END.search(line):
            self.close()

    def _open(self, run_id: str) -> None:
        task_id, map_index = self._task
        path = task_log_path(self.base, self.dag_id, run_id, task_id, map_index, self.attempts[self._task])
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")
        self.written.append(path)
        for pending in self._pending:
            self._write(pending)
        self._pending = []

    def _write(self, line: str) -> None:
        event = log_event(line, self._timestamp)
        self._timestamp = event.get("timestamp", self._timestamp)
        self._file.write(json.dumps(event) + "\n")
        self._file.flush()  # the UI shows a running task's log as it grows

    def close(self) -> None:
        """Close the current task's file (at its end, or when the stream stops)."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._task = None
        self._pending = []


#: Run in a subprocess with the platform's Airflow environment (Airflow reads its home at import).
_RECORD_START = """
import sys
from datetime import datetime
from sqlalchemy import func, select
from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session

dag_id, run_id, launched = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
with create_session() as session:
    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if run is not None and (run.start_date is None or run.start_date < launched):
        first = session.scalar(
            select(func.min(TaskInstance.start_date)).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id
            )
        )
        run.queued_at = launched
        run.start_date = first or launched
        print(run.start_date.isoformat())
"""


def record_real_start(dag_id: str, run_id: str, launched: datetime, env: dict[str, str]) -> str | None:
    """Set a `dags test` run's start (and queued time) to when it really ran; returns the start written.

    Only a start before `launched` (the logical date `dags test` records) is replaced.
    """
    completed = subprocess.run(
        [sys.executable, "-c", _RECORD_START, dag_id, run_id, launched.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    return lines[-1] if completed.returncode == 0 and lines else None
