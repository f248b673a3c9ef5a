"""Airflow bootstrap on embedded defaults: environment, metadata database, pool, `dags test`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from customer_platform.config import REPO_ROOT, Settings, get_settings
from customer_platform.orchestration import WAREHOUSE_POOL


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment for Airflow subprocesses: home, DAG folder, no examples, no telemetry."""
    settings = settings or get_settings()
    env = dict(os.environ)
    env.update(settings.as_env())
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "300")
    env.setdefault("AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT", "300")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    env.setdefault("AIRFLOW__COSMOS__ENABLE_CACHE", "True")
    env.setdefault("SCARF_ANALYTICS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def _airflow_bin() -> str:
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def airflow(args: list[str], settings: Settings | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the airflow CLI with the platform's environment."""
    settings = settings or get_settings()
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    return subprocess.run([_airflow_bin(), *args], env=airflow_env(settings), check=check)


def init_airflow(settings: Settings | None = None) -> None:
    """Migrate the metadata database (idempotent) and create the warehouse writers' pool."""
    settings = settings or get_settings()
    airflow(["db", "migrate"], settings)
    airflow(["pools", "set", WAREHOUSE_POOL, "1", "DuckDB is single-writer: every warehouse writer"], settings)


def dags_test(dag_id: str, logical_date: str, settings: Settings | None = None) -> int:
    """Run a whole DAG for one logical date in this machine's process (`airflow dags test`)."""
    result = airflow(["dags", "test", dag_id, logical_date], settings, check=False)
    return result.returncode
