"""The silver gate end to end on Spark: clean data passes with warnings; broken drops fail by name."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from expectations.results import DataQualityGateFailed
from expectations.runner import run_gate
from expectations.suites.catalog import suite_names
from tests.expectations import silver_data
from tests.expectations.conftest import LOGICAL_DATE
from tests.expectations.docs_index import parse_index

DAY = str(LOGICAL_DATE)


def _day(back: int):
    return LOGICAL_DATE - timedelta(days=back)


@pytest.fixture(scope="module")
def clean_run(module_settings, spark):
    """Four clean previous days, today's clean drop (demographics weekly: only today, one odd value)."""
    settings = module_settings
    for back in range(1, 5):
        silver_data.write_clean_day(
            settings.silver_dir, settings.manifests_dir, _day(back), skip=("demographics",)
        )
    silver_data.write_clean_day(
        settings.silver_dir, settings.manifests_dir, LOGICAL_DATE, skip=("demographics",)
    )
    demographics = silver_data.demographics(LOGICAL_DATE, 40)
    demographics.loc[0, "household_size"] = 0  # breaks the contract's `gt: 0`, not fatal: a warning
    silver_data.write_partition(settings.silver_dir, "demographics", LOGICAL_DATE, demographics)
    return settings, run_gate("silver", DAY, "clean-run")


def test_clean_silver_passes_and_reports_its_warnings(clean_run):
    _, result = clean_run

    assert result.success and result.critical_failures == []
    warnings = [w.describe() for w in result.warnings]
    assert any(
        "silver.demographics, expect_column_values_to_be_between(household_size)" in w for w in warnings
    )
    assert any("manifest_present: no ingestion manifest for demographics" in w for w in warnings)
    assert any("history checks skipped for demographics" in n for n in result.notes)
    assert result.suites == suite_names("silver")


def test_clean_silver_runs_history_checks_where_history_exists(clean_run):
    _, result = clean_run

    volume = [o for o in result.outcomes if o.expectation == "expect_table_row_count_to_be_between"]
    assert {o.suite for o in volume} == {
        "silver.crm_customers",
        "silver.web_order_lines",
        "silver.pos_order_lines",
        "silver.web_events",
        "silver.email_events",
        "silver.campaign_members",
    }
    assert all(o.success for o in volume)
    # Small fixture feeds (< 100 rows a day) are judged as warnings, never as critical.
    assert all(o.severity == "warning" for o in volume)


def test_results_json_and_dq_results_rows_are_written(clean_run):
    settings, result = clean_run

    payload = json.loads(result.results_path.read_text())
    assert result.results_path == settings.dq_dir / "results" / "silver" / DAY / "clean-run.json"
    assert payload["success"] is True and len(payload["outcomes"]) == len(result.outcomes)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        rows = connection.execute(
            "select count(*), count(distinct suite), bool_and(run_id = 'clean-run') from marts.dq_results "
            "where gate = 'silver' and logical_date = ?",
            [DAY],
        ).fetchone()
    assert rows == (len(result.outcomes), len(suite_names("silver")), True)


def test_data_docs_index_lists_every_silver_suite(clean_run):
    settings, result = clean_run

    assert result.data_docs_index == settings.data_docs_dir / "index.html"
    rows = [r for r in parse_index(result.data_docs_index) if r.run_name == f"silver__{DAY}__clean-run"]
    assert sorted(r.suite for r in rows) == sorted(suite_names("silver"))
    assert all((settings.data_docs_dir / r.link).is_file() for r in rows)


def _only(settings, table, frame, day=LOGICAL_DATE):
    silver_data.write_partition(settings.silver_dir, table, day, frame)


def test_thirty_percent_malformed_emails_fail_the_gate_by_name(isolated_settings, spark):
    frame = silver_data.crm_customers(LOGICAL_DATE, 40)
    frame.loc[frame.index[:12], "email"] = [f"broken-address-{k}" for k in range(12)]
    _only(isolated_settings, "crm_customers", frame)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "bad-emails", only_suites={"silver.crm_customers"})

    assert str(failure.value).startswith(
        "silver gate failed: suite silver.crm_customers, "
        "expect_column_values_to_match_regex(email): 30.0% unexpected (observed 12 of 40)"
    )
    result = failure.value.result
    assert result.results_path.is_file(), "a failed gate still keeps its results"
    with duckdb.connect(str(isolated_settings.warehouse_path), read_only=True) as connection:
        failed_rows = connection.execute(
            "select expectation, column_name, severity from marts.dq_results where not success"
        ).fetchall()
    assert ("expect_column_values_to_match_regex", "email", "critical") in failed_rows


def test_a_day_at_ten_percent_of_normal_volume_fails(isolated_settings, spark):
    for back in range(1, 8):
        _only(isolated_settings, "web_events", silver_data.web_events(_day(back), 100), _day(back))
    _only(isolated_settings, "web_events", silver_data.web_events(LOGICAL_DATE, 10))

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "low-volume", only_suites={"silver.web_events"})

    assert (
        "suite silver.web_events, expect_table_row_count_to_be_between: observed 10, expected 50..200 "
        "(trailing mean 100.0 over 7 days)"
    ) in str(failure.value)


def test_duplicated_natural_keys_fail(isolated_settings, spark):
    frame = silver_data.web_order_lines(LOGICAL_DATE, 30)
    frame = pd.concat([frame, frame.iloc[:3]], ignore_index=True)
    _only(isolated_settings, "web_order_lines", frame)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "dupes", only_suites={"silver.web_order_lines"})

    assert "suite silver.web_order_lines, expect_compound_columns_to_be_unique(order_id,line_number)" in str(
        failure.value
    )


def test_negative_amounts_fail(isolated_settings, spark):
    frame = silver_data.pos_order_lines(LOGICAL_DATE, 30)
    frame.loc[frame.index[:2], "unit_price"] = -12.0
    _only(isolated_settings, "pos_order_lines", frame)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "negative", only_suites={"silver.pos_order_lines"})

    assert "suite silver.pos_order_lines, expect_column_values_to_be_between(unit_price)" in str(
        failure.value
    )
    assert "-12.0" in str(failure.value)


def test_quarantine_rate_over_threshold_fails(isolated_settings, spark):
    silver_data.write_manifest(isolated_settings.manifests_dir, "web_orders", LOGICAL_DATE, 70, 30)
    silver_data.write_manifest(isolated_settings.manifests_dir, "pos_orders", LOGICAL_DATE, 99, 1)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "quarantine", only_suites={"silver.ingestion"})

    message = str(failure.value)
    assert (
        "suite silver.ingestion, expect_column_pair_values_a_to_be_greater_than_b"
        "(max_quarantine_rate,quarantine_rate)" in message
    )
    assert "observed 1 of 2" in message and "0.3" in message


def test_a_table_without_todays_partition_is_a_warning(isolated_settings, spark):
    result = run_gate("silver", DAY, "empty", only_suites={"silver.web_events"})

    assert result.success
    (warning,) = result.warnings
    assert (
        warning.expectation == "partition_present"
        and "web_events/ingest_date=2026-06-30" in warning.observed_value
    )
