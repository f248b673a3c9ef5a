"""Fixtures of the dashboard tests: the small warehouse, a running `cdp dashboard`, headless Chromium,
and a second process holding the warehouse's write lock as a running pipeline does."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard.tiny_warehouse import build_dashboard_warehouse

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


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


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Selenium (never a downloaded browser or driver)."""
    if not CHROMIUM.is_file():
        if os.environ.get("CDP_REQUIRE_BROWSER"):
            pytest.fail(
                f"CDP_REQUIRE_BROWSER is set but {CHROMIUM} is missing: apt-get install chromium chromium-driver"
            )
        pytest.skip(
            f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver; CI sets CDP_REQUIRE_BROWSER)"
        )
    assert CHROMEDRIVER.is_file(), f"{CHROMEDRIVER} is missing: apt-get install chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path skips Selenium Manager, which would otherwise try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
