"""The MLflow UI, started as the README says, shows the platform's segmentation training runs.

A planted warehouse (tests/models/planted.py) is segmented by the nightly model job, which
trains the first champion into a fresh SQLite store. `mlflow ui --backend-store-uri ... --port`
then serves it, and headless Chromium with no internet access goes from the home page to the
experiment's training runs and the training run's metrics, as a person would; with the sidebar on
"Model training" an experiment opens on its runs, and the README's link opens the experiment's saved
"Key metrics" view with those metrics as columns. Screenshots go to `test-output/<test name>/`.
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
from mlflow import MlflowClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from customer_platform.config import reload_settings
from models.run_views import view_link
from models.segmentation.pipeline import KMEANS
from models.segmentation.selection import SelectionConfig
from models.segmentation.training import EXPERIMENT_NAME, train
from tests.conftest import free_port, fresh_console, screenshot
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


def _experiment_id(tracking_uri: str) -> str:
    return MlflowClient(tracking_uri).get_experiment_by_name(EXPERIMENT_NAME).experiment_id


def _body(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _click(driver, xpath: str, seconds: float = 60) -> None:
    WebDriverWait(driver, seconds, poll_frequency=0.5).until(
        lambda d: d.find_element(By.XPATH, xpath)
    ).click()


def test_the_mlflow_ui_leads_from_home_to_the_training_runs_and_their_metrics(
    chromium, mlflow_ui, test_output_dir
):
    fresh_console(chromium)
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


def test_an_experiment_opens_on_its_training_runs(chromium, mlflow_ui, tracking_uri, test_output_dir):
    # MLflow 3.17 picks an experiment's landing page by the sidebar's "GenAI | Model training"
    # switch (remembered by the browser), not by the experiment's kind tag: a user on "Model
    # training" lands on the runs, and so does the README's link (`?workflowType=machine_learning`).
    chromium.get(mlflow_ui)
    _click(chromium, "//*[@role='button'][normalize-space()='Model training']")
    _click(chromium, f"//a[normalize-space()='{EXPERIMENT_NAME}']")
    WebDriverWait(chromium, 60, poll_frequency=0.5).until(lambda d: f"train-{DAY}" in _body(d))
    screenshot(chromium, test_output_dir / "mlflow-experiment.png")
    assert f"/experiments/{_experiment_id(tracking_uri)}/runs" in chromium.current_url
    assert "workflowType=machine_learning" in chromium.current_url
    assert "Customer segmentation" in _body(chromium)  # the experiment's description


def test_the_readme_link_opens_the_key_metrics_view_of_the_training_runs(
    chromium, mlflow_ui, tracking_uri, test_output_dir
):
    chromium.set_window_size(2400, 900)  # every key metric column in view
    try:
        chromium.get(mlflow_ui + view_link(_experiment_id(tracking_uri)))
        WebDriverWait(chromium, 60, poll_frequency=0.5).until(lambda d: f"train-{DAY}" in _body(d))
        headers = " ".join(h.text for h in chromium.find_elements(By.CSS_SELECTOR, "[role='columnheader']"))
        screenshot(chromium, test_output_dir / "mlflow-key-metrics-view.png")
    finally:
        chromium.set_window_size(1280, 900)
    assert "Key metrics" in _body(chromium) and "/runs" in chromium.current_url
    for column in ("silhouette", "davies_bouldin", "calinski_harabasz", "stability", "chosen_k"):
        assert column in headers, headers
