"""The DuckDB warehouse: run the dbt project for a logical date, read the result.

dbt runs in-process through `dbtRunner` with the project and profiles directories and the
environment from `customer_platform.config`, so every location (silver Parquet, warehouse
file) comes from configuration. DuckDB allows one writing process per file: nothing here
keeps a connection open while dbt runs, and readers use `connect_readonly()`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import yaml

from customer_platform.config import Settings, get_settings
from customer_platform.dbt_registry import registry_env, write_dbt_registry
from customer_platform.partitions import recover_lake
from customer_platform.restricted_store import private_dir, restricted_path, seal_permissions

#: One-slot Airflow pool shared by every task that writes the DuckDB warehouse (DuckDB is single-writer).
WAREHOUSE_POOL = "duckdb_warehouse"

# dbt reads its configuration from process-wide environment variables: one run at a time.
_DBT_LOCK = threading.Lock()
_COMMANDS_WITHOUT_VARS = {"clean", "debug", "deps", "init"}


def dbt_target_dir(settings: Settings | None = None) -> Path:
    """Where dbt writes its artifacts and the docs site (per data directory)."""
    return (settings or get_settings()).data_dir / "dbt" / "target"


def dbt_env(logical_date: str, settings: Settings | None = None) -> dict[str, str]:
    """Environment variables the dbt project reads (locations, run parameters, dbt paths)."""
    settings = settings or get_settings()
    dbt_dir = settings.data_dir / "dbt"
    return {
        **settings.as_env(),
        **registry_env(settings),
        "CDP_LOGICAL_DATE": logical_date,
        "DBT_THREADS": str(settings.dbt_threads),
        # Artifacts and logs per data directory, so parallel checkouts and tests do not
        # share dbt_project/target.
        "DBT_TARGET_PATH": str(dbt_target_dir(settings)),
        "DBT_LOG_PATH": str(dbt_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _failed_nodes(result) -> list[str]:
    """Names and messages of the nodes that errored or failed in a dbtRunnerResult."""
    failed = []
    for node_result in getattr(result.result, "results", None) or []:
        status = getattr(node_result, "status", "")
        status = str(getattr(status, "value", status)).lower()
        if status in {"error", "fail", "runtime error"}:
            message = " ".join((getattr(node_result, "message", "") or "").split())
            failed.append(f"{node_result.node.name} ({status}: {message[:400]})")
    return failed


def _close_dbt_duckdb_connection() -> None:
    """Close the DuckDB connection dbt-duckdb keeps for the whole process after a run.

    While it is open, this process cannot open the file read-only ("different
    configuration") and no other process can open it at all.
    """
    module = sys.modules.get("dbt.adapters.duckdb.connections")
    if module is None:
        return
    manager = module.DuckDBConnectionManager
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
        manager.close_all_connections()


def release_dbt_connections() -> None:
    """Close dbt-duckdb's process-wide connection (after an in-process dbt run, e.g. Cosmos DBT_RUNNER)."""
    with _DBT_LOCK:
        _close_dbt_duckdb_connection()


def _validate_date(logical_date: str) -> str:
    try:
        return date.fromisoformat(logical_date).isoformat()
    except ValueError as exc:
        raise ValueError(f"logical_date must be YYYY-MM-DD, got {logical_date!r}") from exc


def with_run_vars(args: list[str], logical_date: str) -> list[str]:
    """`args` with the run's logical date in `--vars`, merged into the caller's own `--vars`.

    dbt keeps only the last `--vars` it is given, so a caller's overrides (e.g. a lifecycle
    threshold) and the logical date travel in one. A caller's `logical_date` must agree.
    """
    if not args or args[0] in _COMMANDS_WITHOUT_VARS:
        return list(args)
    rest: list[str] = []
    run_vars: dict = {}
    remaining = iter(args)
    for arg in remaining:
        if arg == "--vars" or arg.startswith("--vars="):
            text = arg.partition("=")[2] if "=" in arg else next(remaining, "")
            given = yaml.safe_load(text) or {}
            if not isinstance(given, dict):
                raise ValueError(f"--vars must be a YAML mapping, got {text!r}")
            run_vars.update(given)
        else:
            rest.append(arg)
    if str(run_vars.get("logical_date", logical_date)) != logical_date:
        raise ValueError(
            f"--vars logical_date {run_vars['logical_date']!r} differs from the run's {logical_date}"
        )
    return [*rest, "--vars", json.dumps({**run_vars, "logical_date": logical_date}, default=str)]


def run_dbt(args: list[str], logical_date: str) -> None:
    """Run one dbt command (e.g. ["build"]) for the logical date; raise RuntimeError naming failed nodes.

    args: the dbt command and its options, without --project-dir / --profiles-dir; a `--vars`
    among them is kept, with the logical date added.
    """
    from dbt.cli.main import dbtRunner

    settings = get_settings()
    logical_date = _validate_date(logical_date)
    private_dir(settings.warehouse_path.parent)
    restricted_path(settings)  # its owner-only folder, before dbt attaches the file
    write_dbt_registry(settings)
    command = [
        *with_run_vars(args, logical_date),
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_profiles_dir),
    ]
    with _DBT_LOCK, _environment(dbt_env(logical_date, settings)):
        try:
            result = dbtRunner().invoke(command)
        finally:
            _close_dbt_duckdb_connection()
            seal_permissions(settings)
    if result.success:
        return
    failed = _failed_nodes(result)
    if failed:
        raise RuntimeError(f"dbt {' '.join(args)} failed for {logical_date}: " + "; ".join(failed))
    raise RuntimeError(f"dbt {' '.join(args)} failed for {logical_date}: {result.exception!r}")


def dbt_build(logical_date: str, full_refresh: bool = False) -> None:
    """Build and test every model of the warehouse for the logical date.

    full_refresh: rebuild the incremental models from every delivered silver partition.
    """
    recover_lake()  # dbt reads silver: a run killed mid-publish must not leave a date missing
    run_dbt(["build", *(["--full-refresh"] if full_refresh else [])], logical_date)


def dbt_manifest_path(settings: Settings | None = None) -> Path:
    """The dbt manifest (`manifest.json` in the per-data-dir target) that Cosmos renders the nightly DAG from."""
    return dbt_target_dir(settings) / "manifest.json"


def dbt_parse(logical_date: str | None = None) -> Path:
    """Parse the dbt project with the active sources and write its manifest; returns the manifest path.

    Every dbt command rewrites the manifest, so `dbt_build` keeps it current too; call this
    when nothing is built (before Airflow parses the DAGs, after the registry changed).
    """
    settings = get_settings()
    run_dbt(["parse"], logical_date or settings.default_logical_date)
    path = dbt_manifest_path(settings)
    if not path.is_file():
        raise RuntimeError(f"dbt parse succeeded but wrote no manifest at {path}")
    return path


def dbt_docs_generate(logical_date: str | None = None) -> None:
    """Generate the dbt docs site (catalog from the current warehouse) into the dbt target path.

    Writes `index.html` (served over HTTP) and `static_index.html` (one file with the
    manifest and catalog inlined, opens straight from disk).
    """
    run_dbt(["docs", "generate", "--static"], logical_date or get_settings().default_logical_date)


def connect_readonly():
    """A read-only DuckDB connection to the warehouse; close it before dbt runs again."""
    import duckdb

    settings = get_settings()
    release_dbt_connections()
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run dbt_build first")
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def release_after_cosmos_task(project_dir: str, **_: object) -> None:
    """Cosmos callback: close dbt-duckdb's connection after each in-process dbt task.

    Worker processes that run several tasks (and `airflow dags test`) then reopen the
    warehouse from other tasks without DuckDB's "different configuration" lock error.
    """
    release_dbt_connections()
