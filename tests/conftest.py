"""Shared fixtures: an isolated data directory for the whole session and one SparkSession."""

from __future__ import annotations

import os

import pytest

# Before any platform import reads configuration: no network calls, quiet tools.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SPARK_SHUFFLE_PARTITIONS", "2")
os.environ.setdefault("SPARK_MASTER", "local[2]")
os.environ.setdefault("SPARK_DRIVER_MEMORY", "2g")


@pytest.fixture(scope="session", autouse=True)
def session_data_dir(tmp_path_factory):
    """Point every location at a temporary data directory for the test session."""
    from customer_platform.config import reload_settings

    data_dir = tmp_path_factory.mktemp("cdp-data")
    previous = {k: os.environ.get(k) for k in ("CDP_DATA_DIR", "AIRFLOW_HOME", "MLFLOW_TRACKING_URI")}
    os.environ["CDP_DATA_DIR"] = str(data_dir)
    for key in ("AIRFLOW_HOME", "MLFLOW_TRACKING_URI"):
        os.environ.pop(key, None)
    reload_settings()
    yield data_dir
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reload_settings()


@pytest.fixture()
def isolated_settings(tmp_path, monkeypatch):
    """Settings whose every location lives under this test's own tmp_path."""
    from customer_platform.config import reload_settings

    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    settings = reload_settings()
    yield settings
    monkeypatch.undo()
    reload_settings()


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test session."""
    from spark_jobs.session import get_spark

    return get_spark("customer-platform-tests")
