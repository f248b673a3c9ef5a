"""Configuration: embedded defaults, environment overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer_platform.config import ENV_VARS, REPO_ROOT, Settings, parse_iso_date, reload_settings


def test_defaults_follow_the_architecture(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.data_dir == REPO_ROOT / "data"
    assert settings.landing_dir == settings.data_dir / "landing"
    assert settings.lakehouse_dir == settings.data_dir / "lakehouse"
    assert settings.warehouse_path == settings.data_dir / "warehouse" / "warehouse.duckdb"
    assert settings.mlflow_tracking_uri == f"sqlite:///{settings.data_dir / 'mlflow' / 'mlflow.db'}"
    assert settings.mlflow_artifact_root == str(settings.data_dir / "mlflow" / "artifacts")
    assert settings.airflow_home == settings.data_dir / "airflow"
    assert settings.spark_master == "local[*]"
    assert settings.silver_dir == settings.lakehouse_dir / "silver"


def test_data_dir_override_moves_every_derived_location(monkeypatch, tmp_path):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    for path in (
        settings.landing_dir,
        settings.lakehouse_dir,
        settings.warehouse_path,
        settings.dq_dir,
        settings.airflow_home,
        Path(settings.mlflow_artifact_root),
    ):
        assert tmp_path in path.parents, path


def test_individual_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARK_MASTER", "spark://spark-master:7077")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "af"))
    monkeypatch.setenv("CDP_MAX_QUARANTINE_RATE", "0.25")
    settings = reload_settings()
    try:
        assert settings.spark_master == "spark://spark-master:7077"
        assert settings.mlflow_tracking_uri == "http://mlflow:5000"
        assert settings.warehouse_path == tmp_path / "w.duckdb"
        assert settings.airflow_home == tmp_path / "af"
        assert settings.max_quarantine_rate == 0.25
        env = settings.as_env()
        assert env["SPARK_MASTER"] == "spark://spark-master:7077"
        assert env["CDP_WAREHOUSE_PATH"] == str(tmp_path / "w.duckdb")
    finally:
        monkeypatch.undo()
        reload_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CDP_MAX_QUARANTINE_RATE", "1.5", "CDP_MAX_QUARANTINE_RATE"),
        ("CDP_MAX_QUARANTINE_RATE", "lots", "CDP_MAX_QUARANTINE_RATE"),
        ("CDP_RFM_WINDOW_DAYS", "0", "CDP_RFM_WINDOW_DAYS"),
        ("CDP_DEMO_CUSTOMERS", "-5", "CDP_DEMO_CUSTOMERS"),
        ("CDP_START_DATE", "2026-6-1", "CDP_START_DATE"),
        ("CDP_START_DATE", "20260601", "CDP_START_DATE"),
        ("CDP_START_DATE", "2026-02-30", "CDP_START_DATE"),
        ("CDP_DEFAULT_LOGICAL_DATE", "30/06/2026", "CDP_DEFAULT_LOGICAL_DATE"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()


def test_no_other_module_hard_codes_data_paths():
    """Only the configuration module spells the data layout."""
    offenders = []
    for folder in ("customer_platform", "spark_jobs", "expectations", "models", "dags", "datagen"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if path.name == "config.py":
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ('"data/', "'data/", "warehouse.duckdb", "mlflow.db", "sqlite:///"):
                if needle in text:
                    offenders.append(f"{path.relative_to(REPO_ROOT)}: {needle}")
    assert offenders == []


def test_start_date_defaults_to_the_demo_start_date_and_is_overridable(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CDP_DEMO_START_DATE", "2026-05-01")
    assert Settings.from_env().start_date == "2026-05-01"
    monkeypatch.setenv("CDP_START_DATE", "2026-06-15")
    settings = Settings.from_env()
    assert settings.start_date == "2026-06-15"
    assert settings.as_env()["CDP_START_DATE"] == "2026-06-15"
    assert settings.describe()["start_date"] == "2026-06-15"


def test_dates_are_parsed_strictly():
    assert str(parse_iso_date("2026-06-01")) == "2026-06-01"
    for bad in ("2026-6-1", "20260601", "2026-W22-1", " 2026-06-01", "2026-06-01T00:00"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_iso_date(bad)


def test_manifest_path_is_per_source_and_date(monkeypatch, tmp_path):
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CDP_LAKEHOUSE_DIR", raising=False)
    settings = Settings.from_env()
    assert settings.manifest_path("web_orders", "2026-06-02") == (
        tmp_path / "lakehouse" / "_manifests" / "web_orders" / "ingest_date=2026-06-02" / "manifest.json"
    )
