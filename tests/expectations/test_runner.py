"""Arguments of the runner and the shape of its verdicts (no engines needed)."""

from __future__ import annotations

import pytest

from expectations.results import DataQualityGateFailed, GateResult, gate_check, summarise_observation
from expectations.runner import main, run_gate


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("gold", "2026-06-30", "r"), "gate must be one of 'silver', 'marts', got 'gold'"),
        (("silver", "30/06/2026", "r"), "logical_date must be YYYY-MM-DD"),
        (("marts", "2026-06-30", " "), "run_id must be a non-empty string"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        run_gate(*args)


def test_unknown_suite_filter_is_rejected():
    with pytest.raises(ValueError, match="only_suites .* silver.nope"):
        run_gate("silver", "2026-06-30", "r", only_suites={"silver.nope"})


def test_cli_rejects_an_unknown_gate():
    with pytest.raises(SystemExit) as exit_info:
        main(["--gate", "bronze", "--date", "2026-06-30"])
    assert exit_info.value.code == 2


def test_failure_message_names_every_critical_failure_but_not_warnings():
    result = GateResult(
        "silver",
        "2026-06-30",
        "r",
        ["silver.a", "silver.b"],
        [
            gate_check("silver.a", "check_one", "critical", False, "observed 1"),
            gate_check("silver.a", "check_two", "warning", False, "observed 2"),
            gate_check("silver.b", "check_three", "critical", False, "observed 3"),
            gate_check("silver.b", "check_four", "critical", True, "observed 4"),
        ],
    )

    error = DataQualityGateFailed(result)

    assert (
        str(error)
        == "silver gate failed: suite silver.a, check_one: observed 1; suite silver.b, check_three: observed 3"
    )
    assert [w.expectation for w in result.warnings] == ["check_two"]
    assert result.to_dict()["success"] is False


def test_observation_summaries():
    unexpected = {
        "element_count": 1000,
        "missing_count": 0,
        "unexpected_count": 301,
        "partial_unexpected_list": ["x@"],
    }
    assert summarise_observation("expect_column_values_to_match_regex", {}, {}, unexpected, None, False) == (
        "30.1% unexpected (observed 301 of 1000), e.g. 'x@'"
    )
    aggregate = {"observed_value": 12.5}
    assert (
        summarise_observation(
            "expect_column_mean_to_be_between", {"min_value": 1, "max_value": 5}, {}, aggregate, None, False
        )
        == "observed 12.5, expected 1..5"
    )
    error = {"raised_exception": True, "exception_message": "column 'x' does not exist\ntrace"}
    assert summarise_observation("expect_column_values_to_not_be_null", {}, {}, {}, error, False) == (
        "error: column 'x' does not exist"
    )


def test_an_empty_batch_is_summarised_not_crashed_on():
    empty = {
        "element_count": 0,
        "unexpected_count": None,
        "unexpected_percent": None,
        "partial_unexpected_list": [],
    }
    assert summarise_observation("expect_column_values_to_not_be_null", {}, {}, empty, None, True) == (
        "0.0% unexpected (observed 0 of 0)"
    )
