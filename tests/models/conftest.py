"""Fixtures for `models/` tests: planted feature tables and a module-scoped MLflow home."""

from __future__ import annotations

import pytest

from tests.models.planted import make_planted_features


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory):
    """Like `isolated_settings`, but shared by one test module so MLflow's SQLite
    migrations run once per module instead of once per test."""
    from customer_platform.config import reload_settings

    data_dir = tmp_path_factory.mktemp("models-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(data_dir))
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("MLFLOW_ARTIFACT_ROOT", raising=False)
        patch.delenv("CDP_WAREHOUSE_PATH", raising=False)
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage pings from tests
        yield reload_settings()
    reload_settings()


@pytest.fixture(scope="session")
def planted():
    """(features, truth) for 1,500 planted customers on 2026-06-30."""
    return make_planted_features(1500, seed=7, logical_date="2026-06-30")
