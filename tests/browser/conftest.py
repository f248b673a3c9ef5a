"""Fixtures of the browser tests of the tools' own UIs: an Airflow home with a real nightly run, and
`cdp ui` serving it, started as the README says (Chromium and screenshots: tests/conftest.py)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdp.airflow_env import dags_test, init_airflow
from customer_platform.config import reload_settings
from tests.conftest import free_port

LOGICAL_DATE = "2026-06-30"
NIGHTLY = "customer_platform_nightly"
#: The one nightly task that really runs (no drop landed: it checks, logs and returns quickly);
#: every other task is marked successful by `airflow dags test --mark-success-pattern`.
RUN_TASK = "ingest.ingest_crm_customers"


@dataclass(frozen=True)
class NightlyRun:
    """The prepared home: its data folder and the nightly run made in it."""

    data_dir: Path
    run_id: str
    task_id: str


@pytest.fixture(scope="module")
def nightly_run(tmp_path_factory) -> Iterator[NightlyRun]:
    """A fresh data folder whose Airflow home holds one nightly run (`cdp.airflow_env.dags_test`)."""
    data_dir = tmp_path_factory.mktemp("airflow-ui-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(data_dir))
        settings = reload_settings()
        init_airflow(settings)
        result = dags_test(NIGHTLY, LOGICAL_DATE, settings, mark_success=rf"(?!{re.escape(RUN_TASK)}$).*")
        assert result.problem() is None, result.problem()
        assert result.run_id, "the run id was not found in the `airflow dags test` output"
        yield NightlyRun(data_dir, result.run_id, RUN_TASK)
    reload_settings()


@dataclass(frozen=True)
class RunningUi:
    """`cdp ui` as started: its process, address, login and what it printed."""

    process: subprocess.Popen
    url: str
    user: str
    password: str
    output: list[str]


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@pytest.fixture(scope="module")
def airflow_ui(nightly_run) -> Iterator[RunningUi]:
    """`.venv/bin/cdp ui --port <free>` over the prepared home; stopped with SIGTERM afterwards."""
    cdp = Path(sys.executable).with_name("cdp")
    env = {**os.environ, "CDP_DATA_DIR": str(nightly_run.data_dir)}
    env.pop("AIRFLOW_HOME", None)
    process = subprocess.Popen(
        [str(cdp), "ui", "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + 240
    url = login = None
    try:
        while login is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"cdp ui exited with {process.wait()}:\n{''.join(output)}")
            output.append(line)
            if match := re.match(r"Airflow UI: (http://127\.0\.0\.1:\d+/)", line):
                url = match.group(1)
            if match := re.match(r"\s+login: (\S+) / (\S+)", line):
                login = match.groups()
        if login is None:
            pytest.fail(f"cdp ui printed no address and login within 240 s:\n{''.join(output)}")
        yield RunningUi(process, url, login[0], login[1], output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
