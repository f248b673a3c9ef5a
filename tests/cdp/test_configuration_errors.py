"""A malformed setting stops every entry point with one line naming the variable and its form, never a traceback.

A few cases go through the installed `cdp` and `python -m spark_jobs.ingest` as subprocesses; the
rest call the checks directly. The demo hash salt outside the demo is warned about once, unprinted.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from customer_platform import env_forms
from customer_platform.cli_args import configuration_problems
from customer_platform.config import REPO_ROOT, reload_settings
from customer_platform.env_forms import FORMS, environment_problems

CDP = Path(sys.executable).with_name("cdp")


def _run(argv: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in FORMS}
    environ |= {"CDP_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)


@pytest.mark.parametrize(
    ("argv", "variable", "value", "form"),
    [
        ([str(CDP), "config"], "CDP_DUCKDB_MEMORY_LIMIT", "lots", "a memory size like 6GB, 512MB or 80%"),
        ([str(CDP), "run"], "SPARK_SHUFFLE_PARTITIONS", "-4", "an integer of at least 1"),
        ([str(CDP), "run", "--date", "2026-06-02"], "SPARK_MASTER", "locl[2]", "local, local[N], local[*]"),
        ([str(CDP), "query", "select 1"], "SPARK_DRIVER_MEMORY", "lots", "a JVM memory size"),
        ([str(CDP), "config"], "CDP_MAX_QUARANTINE_RATE", "ten percent", "a number"),
        (
            [sys.executable, "-m", "spark_jobs.ingest", "--source", "crm_customers", "--date", "2026-06-02"],
            "SPARK_MASTER",
            "spark://nohost",
            "spark://HOST:PORT",
        ),
    ],
)
def test_entry_points_exit_2_with_one_line(argv, variable, value, form, tmp_path):
    done = _run(argv, tmp_path, **{variable: value})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"configuration error: {variable}={value!r} is not " in lines[0]
    assert form in lines[0]
    assert not (tmp_path / "data").exists(), "nothing was written"


def test_cdp_config_lists_every_problem(tmp_path):
    done = _run([str(CDP), "config"], tmp_path, CDP_DUCKDB_MEMORY_LIMIT="lots", DBT_THREADS="0", CDP_SEED="x")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    named = [line.split(": ")[2].split("=")[0] for line in done.stderr.strip().splitlines()]
    assert sorted(named) == ["CDP_DUCKDB_MEMORY_LIMIT", "CDP_SEED", "DBT_THREADS"]


BAD = [
    ("CDP_DUCKDB_MEMORY_LIMIT", "6 gigs"),
    ("CDP_DUCKDB_MEMORY_LIMIT", "80"),
    ("SPARK_SHUFFLE_PARTITIONS", "0"),
    ("SPARK_SHUFFLE_PARTITIONS", "eight"),
    ("SPARK_MASTER", "local[0]"),
    ("SPARK_MASTER", "mesos://host:5050"),
    ("SPARK_DRIVER_MEMORY", "4"),
    ("SPARK_DRIVER_MEMORY", "100m"),
    ("DBT_THREADS", "-1"),
    ("CDP_RFM_WINDOW_DAYS", "1.5"),
    ("CDP_DEMO_CUSTOMERS", "many"),
    ("CDP_SEED", "-1"),
    ("CDP_AT_RISK_THRESHOLD", "high"),
    ("CDP_MAX_QUARANTINE_RATE", "nan"),
    ("CDP_START_DATE", "2026-6-1"),
    ("CDP_DEFAULT_LOGICAL_DATE", "20260630"),
    ("CDP_BASE_CURRENCY", "pounds"),
    ("CDP_SPARK_SUBMIT", "sometimes"),
    ("CDP_DBT_EXECUTION_MODE", "remote"),
    ("CDP_SPARK_UI", "maybe"),
    ("MLFLOW_TRACKING_URI", "mlflow.example.com:5000"),
    ("MLFLOW_TRACKING_URI", "sqlite://relative.db"),
    ("MLFLOW_ARTIFACT_ROOT", "://nowhere"),
    ("CDP_ALERT_WEBHOOK_URL", "hooks.example.com/T0K3N"),
    ("CDP_ALERT_SMTP_PORT", "smtp"),
    ("CDP_ALERT_SMTP_STARTTLS", "sure"),
    ("CDP_PSI_WARNING", "lots"),
    ("CDP_KPI_WINDOW", "4 weeks"),
]


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_a_malformed_value_is_one_line_naming_the_variable(variable, value):
    problems = environment_problems({variable: value})
    assert len(problems) == 1
    assert problems[0].startswith(variable) and " is not " in problems[0] and "\n" not in problems[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CDP_DUCKDB_MEMORY_LIMIT", "512MB"),
        ("CDP_DUCKDB_MEMORY_LIMIT", "80%"),
        ("CDP_DUCKDB_MEMORY_LIMIT", "4GiB"),
        ("SPARK_MASTER", "local"),
        ("SPARK_MASTER", "local[*]"),
        ("SPARK_MASTER", "spark://spark-master:7077"),
        ("SPARK_MASTER", "yarn"),
        ("SPARK_MASTER", "k8s://https://kubernetes.default:443"),
        ("SPARK_DRIVER_MEMORY", "512m"),
        ("SPARK_DRIVER_MEMORY", "4g"),
        ("MLFLOW_TRACKING_URI", "http://mlflow:5000"),
        ("MLFLOW_TRACKING_URI", "sqlite:" + "///tmp/mlflow.db"),
        ("MLFLOW_TRACKING_URI", "/srv/mlruns"),
        ("MLFLOW_ARTIFACT_ROOT", "s3://bucket/artifacts"),
        ("CDP_ALERT_SMTP_STARTTLS", "yes"),
    ],
)
def test_allowed_forms_pass(variable, value):
    assert environment_problems({variable: value}) == []


def test_a_url_is_never_repeated_in_the_message():
    (problem,) = environment_problems({"CDP_ALERT_WEBHOOK_URL": "hooks.example.com/T0K3N"})
    assert "T0K3N" not in problem and "http:// or https:// URL with a host" in problem


def test_ranges_are_reported_once_the_forms_are_right(monkeypatch):
    monkeypatch.setenv("CDP_CHURN_HORIZON_DAYS", "5")
    assert configuration_problems() == ["CDP_CHURN_HORIZON_DAYS must be within 7..730, got 5"]


@pytest.fixture()
def fresh_warnings(monkeypatch, isolated_settings):
    monkeypatch.setattr(env_forms, "_warned", set())
    monkeypatch.delenv("CDP_HASH_SALT", raising=False)
    monkeypatch.delenv("CDP_CONTRACTS_DIR", raising=False)
    monkeypatch.delenv("CDP_SOURCES", raising=False)
    yield monkeypatch
    monkeypatch.undo()
    reload_settings()


def _salt_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "CDP_HASH_SALT" in r.getMessage()]


def test_the_demo_salt_on_own_data_is_warned_once_without_the_salt(fresh_warnings, caplog):
    fresh_warnings.setenv("CDP_SOURCES", "invoice_lines")
    with caplog.at_level(logging.WARNING, logger="customer_platform.env_forms"):
        settings = reload_settings()
        reload_settings()
    (warning,) = _salt_warnings(caplog)
    assert settings.hash_salt not in warning and "not the demo" in warning


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"CDP_SOURCES": "web_orders,crm_customers"},
        {"CDP_SOURCES": "invoice_lines", "CDP_HASH_SALT": "s3cr3t"},
    ],
)
def test_no_warning_for_the_demo_or_an_own_salt(environment, fresh_warnings, caplog):
    for key, value in environment.items():
        fresh_warnings.setenv(key, value)
    with caplog.at_level(logging.WARNING, logger="customer_platform.env_forms"):
        reload_settings()
    assert _salt_warnings(caplog) == []


def test_an_own_contracts_folder_is_not_the_demo(fresh_warnings, tmp_path, caplog):
    fresh_warnings.setenv("CDP_CONTRACTS_DIR", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="customer_platform.env_forms"):
        assert not reload_settings().is_demo
    assert len(_salt_warnings(caplog)) == 1


def test_the_demo_pii_key_on_own_data_is_warned_once_without_the_key(fresh_warnings, caplog):
    fresh_warnings.delenv("CDP_PII_KEY", raising=False)
    fresh_warnings.setenv("CDP_SOURCES", "invoice_lines")
    with caplog.at_level(logging.WARNING, logger="customer_platform.env_forms"):
        settings = reload_settings()
        reload_settings()
    (warning,) = [r.getMessage() for r in caplog.records if "CDP_PII_KEY" in r.getMessage()]
    assert settings.pii_key not in warning and "decrypt the restricted database" in warning
    fresh_warnings.setattr(env_forms, "_warned", set())
    fresh_warnings.setenv("CDP_PII_KEY", "an-own-secret-key-0123456789")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="customer_platform.env_forms"):
        reload_settings()
    assert [r for r in caplog.records if "CDP_PII_KEY" in r.getMessage()] == []


def test_a_short_pii_key_is_refused_without_being_repeated():
    problems = env_forms.environment_problems({"CDP_PII_KEY": "hunter2"})
    assert problems == ["CDP_PII_KEY is too short: use a random secret of at least 16 characters"]
