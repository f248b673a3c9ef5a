"""The MLflow UI, started as the README says, shows the platform's segmentation training runs.

A planted warehouse (tests/models/planted.py) is segmented by the nightly model job, which
trains the first champion into a fresh SQLite store. `mlflow ui --backend-store-uri ... --port`
then serves it, and headless Chromium with no internet access goes from the home page to the
experiment's training runs and the training run's metrics, as a person would. Screenshots go to
`test-output/<test name>/`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from customer_platform.config import reload_settings
from models.segmentation.pipeline import KMEANS
from models.segmentation.selection import SelectionConfig
from models.segmentation.training import EXPERIMENT_NAME, train
from tests.conftest import free_port, screenshot
from tests.models.planted import make_planted_features, write_planted_warehouse

DAY = "2026-06-30"
KEY_METRICS = ("silhouette", "davies_bouldin", "n_segments")
#: What the page says when the browser tried the internet (the test browser has none).
NETWORK_ERRORS = ("ERR_PROXY_CONNECTION_FAILED", "ERR_NAME_NOT_RESOLVED")


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory) -> Iterator[str]:
    """A fresh MLflow store holding a segmentation training of 600 planted customers.

    The platform's own training (`models.segmentation.training.train`), with fewer candidates
    than the nightly default (k-means, k = 2..4) to keep the test short.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(tmp_path_factory.mktemp("mlflow-ui-data")))
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        settings = reload_settings()
        features, _ = make_planted_features(600, seed=7, logical_date=DAY)
        write_planted_warehouse(features, settings.warehouse_path)
        trained = train(DAY, SelectionConfig(k_min=2, k_max=4, algorithms=(KMEANS,)))
        assert trained.summary(), "no training run was logged"
        yield settings.mlflow_tracking_uri
    reload_settings()


@pytest.fixture(scope="module")
def mlflow_ui(tracking_uri) -> Iterator[str]:
    """`.venv/bin/mlflow ui --backend-store-uri <store> --port <free>` (README, "Where to look next")."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "ui",
            "--backend-store-uri",
            tracking_uri,
            "--port",
            str(port),
        ],
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its web workers are stopped with it
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, f"mlflow ui exited with {server.returncode}"
            with contextlib.suppress(OSError):
                urllib.request.urlopen(url + "health", timeout=2).close()
                break
            time.sleep(1)
        else:
            pytest.fail("mlflow ui did not answer within 180 s")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def _body(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _click(driver, xpath: str, seconds: float = 60) -> None:
    WebDriverWait(driver, seconds, poll_frequency=0.5).until(
        lambda d: d.find_element(By.XPATH, xpath)
    ).click()


def test_the_mlflow_ui_leads_from_home_to_the_training_runs_and_their_metrics(
    chromium, mlflow_ui, test_output_dir
):
    chromium.get_log("browser")
    chromium.get(mlflow_ui)
    _click(chromium, f"//a[normalize-space()='{EXPERIMENT_NAME}']")
    _click(chromium, "//*[self::a or self::button or @role='tab'][normalize-space()='Training runs']")
    _click(chromium, f"//a[normalize-space()='train-{DAY}']")
    WebDriverWait(chromium, 60, poll_frequency=0.5).until(lambda d: all(m in _body(d) for m in KEY_METRICS))
    metric = chromium.find_element(By.XPATH, f"//*[normalize-space()='{KEY_METRICS[0]}']")
    chromium.execute_script("arguments[0].scrollIntoView({block: 'center'})", metric)
    screenshot(chromium, test_output_dir / "mlflow-training-run.png")

    console = [entry["message"] for entry in chromium.get_log("browser")]
    assert not [m for m in console if any(error in m for error in NETWORK_ERRORS)], console


@pytest.mark.xfail(
    reason="issue 21 item 3: the training experiments are not yet tagged as model training, so MLflow "
    "opens them on its GenAI overview",
    strict=False,
)
def test_an_experiment_opens_on_its_training_runs(chromium, mlflow_ui, test_output_dir):
    chromium.get(mlflow_ui)
    _click(chromium, f"//a[normalize-space()='{EXPERIMENT_NAME}']")
    WebDriverWait(chromium, 60, poll_frequency=0.5).until(lambda d: "/experiments/" in d.current_url)
    time.sleep(2)  # the page picks its tab after loading the experiment
    screenshot(chromium, test_output_dir / "mlflow-experiment.png")
    assert "genai" not in chromium.current_url.lower()
    assert f"train-{DAY}" in _body(chromium)
