"""Each marts suite against known-good and known-bad marts, through the gate's own query."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from customer_platform.registry import get_registry
from expectations.suites.marts import (
    customer_features,
    customer_identity_map,
    customer_lifecycle,
    customer_rfm,
    customer_segments,
    fct_orders,
)
from tests.expectations import marts_data
from tests.expectations.conftest import LOGICAL_DATE, critical_failures, failed


def query_frame(module, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The frame the marts gate would validate for `module`, from in-memory marts."""
    connection = duckdb.connect()
    try:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute("create schema marts")
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create table marts.{name} as select * from frame")
            connection.unregister("frame")
        parameters = module.query_parameters(get_registry()) if hasattr(module, "query_parameters") else None
        return connection.execute(module.QUERY, parameters).df()
    finally:
        connection.close()


def _validate(validate_frame, module, tables):
    frame = query_frame(module, tables)
    return validate_frame(module.build_suite(LOGICAL_DATE, None, frame, get_registry()), frame)


@pytest.mark.parametrize(
    "module",
    [customer_rfm, fct_orders, customer_features, customer_identity_map, customer_lifecycle],
    ids=lambda m: m.SUITE_NAME,
)
def test_known_good_marts_pass(validate_frame, module):
    outcomes = _validate(validate_frame, module, marts_data.clean_marts(LOGICAL_DATE))

    assert outcomes
    assert [o for o in outcomes if not o.success] == []


def test_rfm_scores_out_of_range_negative_money_and_duplicates_fail(validate_frame):
    rfm = marts_data.customer_rfm(10, LOGICAL_DATE)
    rfm.loc[0, "r_score"] = 6
    rfm.loc[1, "monetary"] = -5.0
    rfm.loc[2, "unified_customer_id"] = rfm.loc[3, "unified_customer_id"]

    outcomes = _validate(validate_frame, customer_rfm, {"customer_rfm": rfm})

    assert failed(outcomes, "expect_column_values_to_be_between", "r_score")
    assert failed(outcomes, "expect_column_values_to_be_between", "monetary")
    assert failed(outcomes, "expect_column_values_to_be_unique", "unified_customer_id")
    assert all(o.severity == "critical" for o in critical_failures(outcomes))


def test_rfm_of_another_logical_date_fails(validate_frame):
    stale = marts_data.customer_rfm(10, LOGICAL_DATE - timedelta(days=1))

    outcomes = _validate(validate_frame, customer_rfm, {"customer_rfm": stale})

    assert failed(outcomes, "expect_column_values_to_be_in_set", "logical_date")


def test_orphan_orders_fail(validate_frame):
    tables = marts_data.clean_marts(LOGICAL_DATE, n=10)
    tables["dim_customers"] = tables["dim_customers"].iloc[:8]  # two customers' orders are orphans

    outcomes = _validate(validate_frame, fct_orders, tables)

    (orphans,) = failed(outcomes, "expect_column_values_to_be_in_set", "customer_in_dim_customers")
    assert orphans.severity == "critical"
    assert orphans.observed_value.startswith("20.0% unexpected (observed 4 of 20)")


def test_any_null_feature_fails(validate_frame):
    features = marts_data.customer_features(10, LOGICAL_DATE)
    features["sessions"] = features["sessions"].astype("float64")
    features.loc[4, "sessions"] = None
    features["extra_feature"] = [1.0] * 9 + [None]

    outcomes = _validate(validate_frame, customer_features, {"customer_features": features})

    assert failed(outcomes, "expect_column_values_to_not_be_null", "sessions")
    assert failed(outcomes, "expect_column_values_to_not_be_null", "extra_feature")


def _segment_tables(segment_ids, written_for):
    return {
        "customer_lifecycle": marts_data.customer_lifecycle(10, LOGICAL_DATE),
        "customer_segments": marts_data.customer_segments(segment_ids, written_for),
    }


def test_every_unified_customer_has_a_segment(validate_frame):
    tables = _segment_tables(marts_data.customer_ids(10), LOGICAL_DATE)

    outcomes = _validate(validate_frame, customer_segments, tables)

    assert [o for o in outcomes if not o.success] == []


def test_missing_segments_are_critical_when_segments_are_current(validate_frame):
    tables = _segment_tables(marts_data.customer_ids(7), LOGICAL_DATE)

    outcomes = _validate(validate_frame, customer_segments, tables)

    (missing,) = failed(outcomes, "expect_column_values_to_be_in_set", "has_segment")
    assert missing.severity == "critical"


def test_missing_segments_only_warn_when_segments_are_from_an_earlier_run(validate_frame):
    tables = _segment_tables(marts_data.customer_ids(7), LOGICAL_DATE - timedelta(days=1))

    outcomes = _validate(validate_frame, customer_segments, tables)

    (missing,) = failed(outcomes, "expect_column_values_to_be_in_set", "has_segment")
    assert missing.severity == "warning"
    assert critical_failures(outcomes) == []


def test_oversized_identity_cluster_fails_but_many_orders_do_not(validate_frame):
    identity = marts_data.customer_identity_map(5)
    overmerged = marts_data.customer_identity_map(1, records_per_customer=80).assign(
        source="web_events", unified_customer_id="U99999"
    )
    loyal = marts_data.customer_identity_map(1, records_per_customer=300).assign(
        source="web_orders", unified_customer_id="U88888"
    )
    tables = {"customer_identity_map": pd.concat([identity, overmerged, loyal], ignore_index=True)}

    outcomes = _validate(validate_frame, customer_identity_map, tables)

    (too_big,) = critical_failures(outcomes)
    assert too_big.label == "expect_column_values_to_be_between(cluster_size)"
    assert "e.g. 80" in too_big.observed_value


def test_lifecycle_unknown_or_missing_stage_negative_orders_and_duplicates_fail(validate_frame):
    lifecycle = marts_data.customer_lifecycle(12, LOGICAL_DATE)
    lifecycle.loc[0, "lifecycle_stage"] = "churned"
    lifecycle.loc[1, "lifecycle_stage"] = None
    lifecycle.loc[2, "lifetime_orders"] = -1
    lifecycle.loc[3, "unified_customer_id"] = lifecycle.loc[4, "unified_customer_id"]

    outcomes = _validate(validate_frame, customer_lifecycle, {"customer_lifecycle": lifecycle})

    assert failed(outcomes, "expect_column_values_to_be_in_set", "lifecycle_stage")
    assert failed(outcomes, "expect_column_values_to_not_be_null", "lifecycle_stage")
    assert failed(outcomes, "expect_column_values_to_be_between", "lifetime_orders")
    assert failed(outcomes, "expect_column_values_to_be_unique", "unified_customer_id")
    assert {o.severity for o in critical_failures(outcomes)} == {"critical"}
    assert len(critical_failures(outcomes)) == 4


def test_lifecycle_of_another_logical_date_fails(validate_frame):
    stale = marts_data.customer_lifecycle(12, LOGICAL_DATE - timedelta(days=1))

    outcomes = _validate(validate_frame, customer_lifecycle, {"customer_lifecycle": stale})

    assert failed(outcomes, "expect_column_values_to_be_in_set", "logical_date")
