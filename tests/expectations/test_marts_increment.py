"""The marts gate in proportion to the change: touched rows through GX, whole-table checks in SQL.

Two or three nights on a small DuckDB warehouse with the real gate (GX and DuckDB); each
incremental verdict is compared with `full=True`, which validates every row as the gate always did.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from expectations.marts_state import load_meta, state_dir
from expectations.results import DataQualityGateFailed
from expectations.runner import run_gate
from tests.expectations import marts_data
from tests.expectations.conftest import LOGICAL_DATE

NIGHTS = [LOGICAL_DATE + timedelta(days=d) for d in range(3)]
NIGHT_1, NIGHT_2, NIGHT_3 = (str(night) for night in NIGHTS)


def _marts(day: str, n: int = 30):
    """Every mart of one night; segments from the night before (two customers have none yet)."""
    night = NIGHTS[[NIGHT_1, NIGHT_2, NIGHT_3].index(day)]
    tables = marts_data.clean_marts(night, n)
    tables["customer_segments"] = marts_data.customer_segments(
        marts_data.customer_ids(n - 2), night - timedelta(days=1)
    )
    return tables


def _write(settings, tables):
    marts_data.write_warehouse(settings.warehouse_path, tables)


def _first_night(settings, only_suites=None):
    _write(settings, _marts(NIGHT_1))
    return run_gate("marts", NIGHT_1, "night-1", only_suites=only_suites)


def _validated(result) -> dict[str, int]:
    return {suite: counts["validated"] for suite, counts in result.rows.items()}


def _outcomes(result):
    """What a run reports per expectation (the row count compares with the run before: left out)."""
    return [
        (o.suite, o.expectation, o.column, o.severity, o.success, o.observed_value)
        for o in result.outcomes
        if o.expectation != "row_count"
    ]


def _state_files(settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(state_dir(settings).iterdir())}


def _failure(day: str, run_id: str, **options) -> str:
    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("marts", day, run_id, **options)
    return str(failure.value)


def test_first_run_validates_every_row_then_a_quiet_night_only_the_changed_ones(isolated_settings):
    first = _first_night(isolated_settings)
    assert _validated(first) == {suite: counts["rows"] for suite, counts in first.rows.items()}
    assert {counts["mode"] for counts in first.rows.values()} == {"full"}

    tables = _marts(NIGHT_2)  # the date (logical_date, order cut-off) moves for every row
    rfm = tables["customer_rfm"]
    rfm.loc[rfm.index[:2], "monetary"] += 15.0
    orders = tables["fct_orders"]
    tables["fct_orders"] = marts_data.pd.concat([orders, orders.tail(1).assign(order_id="web:N1")])
    _write(isolated_settings, tables)

    second = run_gate("marts", NIGHT_2, "night-2")

    assert second.success
    assert _validated(second) == {
        "marts.customer_rfm": 2,
        "marts.fct_orders": 1,
        "marts.customer_features": 0,
        # The two customers without a segment failed a warning: they are validated again.
        "marts.customer_segments": 2,
        "marts.customer_identity_map": 0,
        "marts.customer_lifecycle": 0,
    }
    assert second.rows["marts.fct_orders"] == {"rows": 61, "validated": 1, "mode": "incremental"}
    assert _outcomes(second) == _outcomes(run_gate("marts", NIGHT_2, "night-2-full", full=True))
    assert load_meta(isolated_settings, "marts.customer_rfm").run_id == "night-2-full"


def test_warnings_on_unchanged_rows_are_reported_every_night_as_a_full_run_reports_them(isolated_settings):
    tables = _marts(NIGHT_1)
    tables["customer_rfm"].loc[3, "rfm_segment"] = None  # a warning, not a failure
    tables["customer_features"].loc[4, "return_rate"] = 1.5
    _write(isolated_settings, tables)
    run_gate("marts", NIGHT_1, "night-1")
    tables = _marts(NIGHT_2)
    tables["customer_rfm"].loc[3, "rfm_segment"] = None
    tables["customer_features"].loc[4, "return_rate"] = 1.5
    _write(isolated_settings, tables)

    incremental = run_gate("marts", NIGHT_2, "night-2")
    full = run_gate("marts", NIGHT_2, "night-2-full", full=True)

    assert _outcomes(incremental) == _outcomes(full)
    assert sorted(w.column for w in incremental.warnings) == ["has_segment", "return_rate", "rfm_segment"]
    assert _validated(incremental)["marts.customer_rfm"] == 1
    assert _validated(incremental)["marts.customer_features"] == 1


@pytest.mark.parametrize("changed_otherwise", [True, False], ids=["changed-row", "unchanged-row"])
def test_a_bad_value_fails_the_gate_with_the_message_of_a_full_run(isolated_settings, changed_otherwise):
    rfm_only = {"marts.customer_rfm"}
    _first_night(isolated_settings, rfm_only)
    tables = _marts(NIGHT_2)
    rfm = tables["customer_rfm"]
    if changed_otherwise:
        rfm.loc[7, "monetary"] += 1.0
    rfm.loc[7, "r_score"] = 9  # planting the value changes the row's hash: the row is touched
    _write(isolated_settings, tables)

    incremental = _failure(NIGHT_2, "night-2", only_suites=rfm_only)
    full = _failure(NIGHT_2, "night-2-full", full=True, only_suites=rfm_only)

    assert incremental == full
    assert incremental == (
        "marts gate failed: suite marts.customer_rfm, expect_column_values_to_be_between(r_score): "
        "3.3% unexpected (observed 1 of 30), e.g. 9"
    )


@pytest.mark.parametrize(
    ("mart", "suite", "plant", "message"),
    [
        (
            "customer_rfm",
            "marts.customer_rfm",
            lambda frame: marts_data.pd.concat([frame, frame.iloc[[5]]]),  # the same row twice: untouched
            "suite marts.customer_rfm, expect_column_values_to_be_unique(unified_customer_id): "
            "6.5% unexpected (observed 2 of 31), e.g. '[redacted]', '[redacted]'",
        ),
        (
            "customer_lifecycle",
            "marts.customer_lifecycle",
            lambda frame: frame.assign(
                logical_date=frame["logical_date"].where(frame.index != 2, LOGICAL_DATE)
            ),
            "suite marts.customer_lifecycle, expect_column_values_to_be_in_set(logical_date): "
            f"3.3% unexpected (observed 1 of 30), e.g. '{NIGHT_1}'",
        ),
        (
            "dim_customers",  # the orders do not change, their join to the customers does
            "marts.fct_orders",
            lambda frame: frame.iloc[:27],
            "suite marts.fct_orders, expect_column_values_to_be_in_set(customer_in_dim_customers): "
            "10.0% unexpected (observed 6 of 60), e.g. False, False, False",
        ),
    ],
    ids=["duplicate-key", "stale-date-on-one-row", "orphan-orders"],
)
def test_whole_table_violations_are_caught(isolated_settings, mart, suite, plant, message):
    _first_night(isolated_settings, {suite})
    tables = _marts(NIGHT_2)
    tables[mart] = plant(tables[mart])
    _write(isolated_settings, tables)

    incremental = _failure(NIGHT_2, "night-2", only_suites={suite})

    assert incremental == f"marts gate failed: {message}"
    assert incremental == _failure(NIGHT_2, "night-2-full", full=True, only_suites={suite})


def test_a_mart_that_lost_most_of_its_rows_fails_the_row_count(isolated_settings):
    _first_night(isolated_settings, {"marts.customer_rfm"})
    tables = _marts(NIGHT_2)
    tables["customer_rfm"] = tables["customer_rfm"].iloc[:10]
    _write(isolated_settings, tables)

    message = _failure(NIGHT_2, "night-2", only_suites={"marts.customer_rfm"})

    assert message == (
        "marts gate failed: suite marts.customer_rfm, row_count: observed 10 rows, expected at least 15 "
        "(30 last validated)"
    )


def test_a_failed_gate_leaves_the_state_as_it_was(isolated_settings):
    _first_night(isolated_settings)
    before = _state_files(isolated_settings)
    tables = _marts(NIGHT_2)
    tables["customer_rfm"].loc[1, "monetary"] = -5.0
    tables["customer_lifecycle"].loc[1, "lifecycle_stage"] = "churned"
    _write(isolated_settings, tables)

    _failure(NIGHT_2, "night-2")

    assert _state_files(isolated_settings) == before
    assert not list(state_dir(isolated_settings).glob("*.pending.*"))
    meta = json.loads((state_dir(isolated_settings) / "marts.customer_rfm.json").read_text())
    assert meta["run_id"] == "night-1" and meta["rows"] == 30
    # Fixed the next night, only the rows that differ from night 1 are validated.
    _write(isolated_settings, _marts(NIGHT_3))
    third = run_gate("marts", NIGHT_3, "night-3")
    assert _validated(third)["marts.customer_rfm"] == 0
