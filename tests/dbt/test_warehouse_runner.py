"""customer_platform.warehouse: argument checks and failures that name the dbt node."""

from __future__ import annotations

import pytest

from customer_platform import warehouse


def test_logical_date_is_validated_before_dbt_runs(isolated_settings):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        warehouse.run_dbt(["build"], "30/06/2026")


def test_a_callers_vars_travel_with_the_logical_date():
    command = warehouse.with_run_vars(
        ["build", "--select", "customer_lifecycle", "--vars", "{lifecycle_lapsed_days: 180}"], "2026-06-30"
    )
    # dbt keeps only the last --vars: one flag carries both.
    assert command == [
        "build",
        "--select",
        "customer_lifecycle",
        "--vars",
        '{"lifecycle_lapsed_days": 180, "logical_date": "2026-06-30"}',
    ]
    assert warehouse.with_run_vars(["build"], "2026-06-30") == [
        "build",
        "--vars",
        '{"logical_date": "2026-06-30"}',
    ]
    assert warehouse.with_run_vars(["deps"], "2026-06-30") == ["deps"]
    with pytest.raises(ValueError, match="differs"):
        warehouse.with_run_vars(["build", "--vars", "{logical_date: 2026-06-01}"], "2026-06-30")


def test_connect_readonly_without_a_warehouse_says_so(isolated_settings):
    with pytest.raises(FileNotFoundError, match="dbt_build"):
        warehouse.connect_readonly()


def test_dbt_env_carries_locations_and_the_logical_date(isolated_settings):
    env = warehouse.dbt_env("2026-06-30", isolated_settings)
    assert env["CDP_LAKEHOUSE_DIR"] == str(isolated_settings.lakehouse_dir)
    assert env["CDP_WAREHOUSE_PATH"] == str(isolated_settings.warehouse_path)
    assert env["CDP_LOGICAL_DATE"] == "2026-06-30"
    assert env["DBT_TARGET_PATH"].startswith(str(isolated_settings.data_dir))


def test_failed_run_names_the_failed_node(isolated_settings):
    # No silver Parquet under this data directory: the staging model cannot read its source.
    with pytest.raises(RuntimeError, match="stg_customer_records"):
        warehouse.run_dbt(["run", "--select", "stg_customer_records"], "2026-06-30")


def test_the_dbt_connection_runs_under_the_configured_memory_limit(isolated_settings, monkeypatch):
    import duckdb
    from dbt.cli.main import dbtRunner

    from customer_platform.config import reload_settings

    monkeypatch.setenv("CDP_DUCKDB_MEMORY_LIMIT", "1500MB")
    settings = reload_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    query = "select current_setting('memory_limit') as memory_limit"
    command = [
        "show",
        "--inline",
        query,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_profiles_dir),
    ]
    with warehouse._environment(warehouse.dbt_env("2026-06-30", settings)):
        try:
            result = dbtRunner().invoke(command)
        finally:
            warehouse.release_dbt_connections()
    assert result.success, result.exception
    seen = result.result.results[0].agate_table.rows[0][0]
    # DuckDB prints limits in its own units: compare with a connection given the same value.
    expected = duckdb.connect(config={"memory_limit": "1500MB"}).execute(query).fetchone()[0]
    assert seen == expected
    monkeypatch.delenv("CDP_DUCKDB_MEMORY_LIMIT")
    reload_settings()
