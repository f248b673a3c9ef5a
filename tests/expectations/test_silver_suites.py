"""Each demo source's derived silver suite against a known-good and a known-bad frame.

Pandas frames: the suites are engine-agnostic; the Spark execution of the same suites is
covered by test_silver_gate.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from customer_platform.registry import get_registry
from expectations.history import TableBaseline
from expectations.suites.silver.suite import build_suite
from tests.expectations import silver_data
from tests.expectations.conftest import LOGICAL_DATE, critical_failures, failed


def _malformed_emails(frame):
    frame.loc[frame.index[:6], "email"] = [f"not-an-email-{k}" for k in range(6)]  # 30% of 20
    return frame


def _duplicate_keys(frame):
    frame.loc[frame.index[1], ["order_id", "line_number"]] = frame.loc[
        frame.index[0], ["order_id", "line_number"]
    ].values
    return frame


def _negative_prices(frame):
    frame.loc[frame.index[:3], "unit_price"] = -4.5
    return frame


def _future_events(frame):
    frame.loc[frame.index[:2], "occurred_at"] = datetime(2026, 7, 3, tzinfo=UTC)
    return frame


def _missing_subscriber(frame):
    frame.loc[frame.index[:2], "subscriber_id"] = None
    return frame


def _duplicate_hash(frame):
    frame.loc[frame.index[1], "email_sha256"] = frame.loc[frame.index[0], "email_sha256"]
    return frame


def _unknown_group(frame):
    frame.loc[frame.index[:2], "group"] = "control"
    return frame


def suite_of(source, baseline=None):
    """The derived suite of a shipped contract for the test's logical date."""
    return build_suite(get_registry().get(source), LOGICAL_DATE, baseline)


CASES = [
    (
        "crm_customers",
        silver_data.crm_customers,
        _malformed_emails,
        "expect_column_values_to_match_regex",
        "email",
    ),
    (
        "web_orders",
        silver_data.web_order_lines,
        _duplicate_keys,
        "expect_compound_columns_to_be_unique",
        "order_id,line_number",
    ),
    (
        "pos_orders",
        silver_data.pos_order_lines,
        _negative_prices,
        "expect_column_values_to_be_between",
        "unit_price",
    ),
    (
        "web_events",
        silver_data.web_events,
        _future_events,
        "expect_column_values_to_be_between",
        "occurred_at",
    ),
    (
        "email_engagement",
        silver_data.email_events,
        _missing_subscriber,
        "expect_column_values_to_not_be_null",
        "subscriber_id",
    ),
    (
        "demographics",
        silver_data.demographics,
        _duplicate_hash,
        "expect_column_values_to_be_unique",
        "email_sha256",
    ),
    (
        "campaign_log",
        silver_data.campaign_members,
        _unknown_group,
        "expect_column_values_to_be_in_set",
        "group",
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("source", "build", "_break", "_exp", "_col"), CASES, ids=IDS)
def test_known_good_partition_passes(validate_frame, source, build, _break, _exp, _col):
    outcomes = validate_frame(suite_of(source), build(LOGICAL_DATE, 20))

    assert outcomes, "the suite validated nothing"
    assert critical_failures(outcomes) == []
    assert [o for o in outcomes if not o.success] == []


@pytest.mark.parametrize(("source", "build", "break_frame", "expectation", "column"), CASES, ids=IDS)
def test_known_bad_partition_fails_critically(
    validate_frame, source, build, break_frame, expectation, column
):
    outcomes = validate_frame(suite_of(source), break_frame(build(LOGICAL_DATE, 20)))

    failures = failed(outcomes, expectation, column)
    assert failures and all(f.severity == "critical" for f in failures)
    assert "unexpected (observed" in failures[0].observed_value


def test_malformed_email_message_gives_share_and_counts(validate_frame):
    frame = _malformed_emails(silver_data.crm_customers(LOGICAL_DATE, 20))

    outcomes = validate_frame(suite_of("crm_customers"), frame)

    (failure,) = failed(outcomes, "expect_column_values_to_match_regex", "email")
    assert failure.describe().startswith(
        "suite silver.crm_customers, expect_column_values_to_match_regex(email): 30.0% unexpected (observed 6 of 20)"
    )


def test_phone_not_in_e164_fails(validate_frame):
    frame = silver_data.crm_customers(LOGICAL_DATE, 20)
    frame.loc[frame.index[:5], "phone"] = "07700 900123"

    outcomes = validate_frame(suite_of("crm_customers"), frame)

    assert failed(outcomes, "expect_column_values_to_match_regex", "phone")


def test_missing_contract_column_fails(validate_frame):
    frame = silver_data.web_events(LOGICAL_DATE, 20).drop(columns=["session_id"])

    outcomes = validate_frame(suite_of("web_events"), frame)

    (missing,) = failed(outcomes, "expect_column_to_exist", "session_id")
    assert missing.severity == "critical" and missing.observed_value == "column missing"


def test_volume_drop_against_baseline_fails_and_drift_warns(validate_frame):
    baseline = TableBaseline(
        table="web_order_lines",
        days=tuple(str(LOGICAL_DATE - timedelta(days=d)) for d in range(1, 8)),
        mean_rows=100.0,
        null_rates={"customer_id": 0.0},
        means={"line_amount": 5.0},
    )
    suite = suite_of("web_orders", baseline)

    outcomes = validate_frame(suite, silver_data.web_order_lines(LOGICAL_DATE, 10))

    (volume,) = failed(outcomes, "expect_table_row_count_to_be_between")
    assert volume.severity == "critical"
    assert volume.observed_value == "observed 10, expected 50..200 (trailing mean 100.0 over 7 days)"
    (drift,) = failed(outcomes, "expect_column_mean_to_be_between", "line_amount")
    assert drift.severity == "warning"
