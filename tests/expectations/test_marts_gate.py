"""The marts gate end to end on a DuckDB warehouse: verdicts, idempotent dq_results, Data Docs, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from expectations.dq_store import write_dq_results
from expectations.results import DataQualityGateFailed, GateResult, gate_check
from expectations.runner import main, run_gate
from expectations.suites.catalog import suite_names
from tests.expectations import marts_data
from tests.expectations.conftest import LOGICAL_DATE
from tests.expectations.docs_index import parse_index

DAY = str(LOGICAL_DATE)


def _clean_warehouse(settings, **overrides):
    tables = marts_data.clean_marts(LOGICAL_DATE)
    # Segments from yesterday's run: two new customers have none yet.
    tables["customer_segments"] = marts_data.customer_segments(
        marts_data.customer_ids(28), LOGICAL_DATE - timedelta(days=1)
    )
    tables.update(overrides)
    return marts_data.write_warehouse(settings.warehouse_path, tables)


def _dq_rows(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(
            "select gate, cast(logical_date as varchar), run_id, count(*) from marts.dq_results group by all order by all"
        ).fetchall()


def test_clean_marts_pass_with_stale_segment_warning(isolated_settings):
    _clean_warehouse(isolated_settings)

    result = run_gate("marts", DAY, "run-1")

    assert result.success
    assert result.suites == suite_names("marts")
    (warning,) = result.warnings
    assert warning.suite == "marts.customer_segments" and warning.column == "has_segment"
    assert any("segments were written for 2026-06-29" in note for note in result.notes)
    # The read-only connection is closed: this process can open the file for writing again.
    duckdb.connect(str(isolated_settings.warehouse_path)).close()


def test_dq_results_replace_rows_of_the_same_gate_and_date(isolated_settings):
    _clean_warehouse(isolated_settings)
    other = GateResult(
        "silver",
        DAY,
        "silver-run",
        ["silver.web_events"],
        [gate_check("silver.web_events", "partition_present", "warning", False, "none")],
    )
    write_dq_results(isolated_settings, other)

    first = run_gate("marts", DAY, "run-1")
    second = run_gate("marts", DAY, "run-2")

    assert len(first.outcomes) == len(second.outcomes)
    assert _dq_rows(isolated_settings) == [
        ("marts", DAY, "run-2", len(second.outcomes)),
        ("silver", DAY, "silver-run", 1),
    ]
    assert json.loads(first.results_path.read_text())["run_id"] == "run-1"
    assert second.results_path.name == "run-2.json"


def test_a_partial_rerun_replaces_only_its_own_suites(isolated_settings):
    _clean_warehouse(isolated_settings)
    full = run_gate("marts", DAY, "full")

    rerun = run_gate("marts", DAY, "segments-only", only_suites={"marts.customer_segments"})

    with duckdb.connect(str(isolated_settings.warehouse_path), read_only=True) as connection:
        by_run = dict(
            connection.execute(
                "select run_id, count(*) from marts.dq_results where gate = 'marts' group by run_id"
            ).fetchall()
        )
    rerun_rows = len(rerun.outcomes)
    assert by_run == {"full": len(full.outcomes) - rerun_rows, "segments-only": rerun_rows}


def test_data_docs_index_lists_every_marts_suite(isolated_settings):
    _clean_warehouse(isolated_settings)

    result = run_gate("marts", DAY, "docs")

    rows = [r for r in parse_index(result.data_docs_index) if r.run_name == f"marts__{DAY}__docs"]
    assert sorted(r.suite for r in rows) == sorted(suite_names("marts"))
    assert all((isolated_settings.data_docs_dir / r.link).is_file() for r in rows)


def test_orphan_orders_fail_the_gate_by_name(isolated_settings):
    dim = marts_data.dim_customers(30).iloc[:27]
    _clean_warehouse(isolated_settings, dim_customers=dim)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("marts", DAY, "orphans")

    assert str(failure.value).startswith(
        "marts gate failed: suite marts.fct_orders, expect_column_values_to_be_in_set(customer_in_dim_customers): "
        "10.0% unexpected (observed 6 of 60)"
    )


def test_a_missing_mart_is_critical(isolated_settings):
    tables = marts_data.clean_marts(LOGICAL_DATE)
    del tables["customer_rfm"]
    marts_data.write_warehouse(isolated_settings.warehouse_path, tables)

    with pytest.raises(
        DataQualityGateFailed, match="suite marts.customer_rfm, table_present: marts.customer_rfm not found"
    ):
        run_gate("marts", DAY, "missing")


def test_cli_exits_one_with_the_message_on_critical_failure(isolated_settings, capsys):
    identity = marts_data.customer_identity_map(30)
    identity.loc[identity.index[:60], "unified_customer_id"] = "U00000"  # 60 identities in one cluster
    _clean_warehouse(isolated_settings, customer_identity_map=identity)

    code = main(["--gate", "marts", "--date", DAY, "--run-id", "cli"])

    assert code == 1
    assert (
        "marts gate failed: suite marts.customer_identity_map, expect_column_values_to_be_between(cluster_size)"
        in (capsys.readouterr().err)
    )


def test_cli_prints_the_summary_on_success(isolated_settings, capsys):
    _clean_warehouse(isolated_settings)

    code = main(["--gate", "marts", "--date", DAY])

    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["success"] is True and summary["run_id"] == f"manual__{DAY}"


def test_module_cli_in_a_subprocess_exits_one_on_orphans(isolated_settings):
    _clean_warehouse(isolated_settings, dim_customers=marts_data.dim_customers(30).iloc[:29])

    completed = subprocess.run(
        [sys.executable, "-m", "expectations.runner", "--gate", "marts", "--date", DAY, "--run-id", "sub"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 1, completed.stderr[-2000:]
    assert "marts gate failed: suite marts.fct_orders" in completed.stderr
    assert (isolated_settings.dq_dir / "results" / "marts" / DAY / "sub.json").is_file()
