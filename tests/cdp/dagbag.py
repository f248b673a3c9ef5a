"""Parsing the DAG files as Airflow does (a DagBag) with the platform's Airflow environment.

Shared by tests/platform/test_dag_integrity.py and tests/cdp: import it, do not copy it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from customer_platform.config import REPO_ROOT, get_settings
from customer_platform.warehouse import dbt_manifest_path, dbt_parse

DAGS_DIR = REPO_ROOT / "dags"


def ensure_dbt_manifest() -> Path:
    """The dbt manifest the nightly DAG is rendered from, parsed once per data directory."""
    path = dbt_manifest_path(get_settings())
    return path if path.is_file() else dbt_parse()


@contextmanager
def airflow_environment() -> Iterator[None]:
    """The environment `cdp` gives Airflow, for the duration of the block."""
    from cdp.airflow_env import airflow_env

    env = airflow_env()
    # Parsing here has no metadata database for Cosmos's cache.
    env["AIRFLOW__COSMOS__ENABLE_CACHE"] = "False"
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def load_dagbag(path: Path = DAGS_DIR):
    """A DagBag of `path` (the dags folder or one DAG file), parsed with the dbt manifest in place."""
    ensure_dbt_manifest()
    with airflow_environment():
        from airflow.dag_processing.dagbag import DagBag

        return DagBag(dag_folder=str(path))
