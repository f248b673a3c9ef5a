"""Fixtures of the dashboard tests: the small warehouse, a running `cdp dashboard`, and a second
process holding the warehouse's write lock as a running pipeline does (Chromium: tests/conftest.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.dashboard.tiny_warehouse import build_dashboard_warehouse


@pytest.fixture(scope="module")
def dashboard_warehouse(tmp_path_factory) -> Path:
    """The small warehouse of this module (build once, read by every test of the module)."""
    path = tmp_path_factory.mktemp("dashboard") / "warehouse.duckdb"
    build_dashboard_warehouse(path)
    return path


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the warehouse's write lock from another process, as a running pipeline does."""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked", "the lock holder did not start"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.fixture(scope="module")
def dashboard_url(dashboard_warehouse, tmp_path_factory) -> Iterator[str]:
    """`cdp dashboard` serving the module's warehouse (no page cache) in a subprocess: its URL."""
    port = free_port()
    env = {
        **os.environ,
        "CDP_DATA_DIR": str(tmp_path_factory.mktemp("dashboard-data")),
        "CDP_WAREHOUSE_PATH": str(dashboard_warehouse),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cdp.cli", "dashboard", "--port", str(port), "--cache-seconds", "0"], env=env
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(150):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "healthz", timeout=1).close()
                break
            assert server.poll() is None, f"cdp dashboard exited with {server.returncode}"
            time.sleep(0.2)
        else:
            pytest.fail("cdp dashboard did not answer within 30 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
