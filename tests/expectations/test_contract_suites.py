"""Suites follow the registry: a contract written only as YAML gets one; a source left out has none."""

from __future__ import annotations

import pytest

from customer_platform.config import get_settings
from customer_platform.registry import get_registry
from expectations.results import DataQualityGateFailed
from expectations.runner import run_gate
from expectations.suites.catalog import suite_names
from expectations.suites.silver.extras import ExtrasError, parse_extras
from expectations.suites.silver.suite import build_suite
from tests.expectations import new_contract, silver_data
from tests.expectations.conftest import LOGICAL_DATE, critical_failures, failed

DAY = str(LOGICAL_DATE)
LINEAGE = ("_source_file", "_ingest_date", "_run_id", "_ingested_at")


def _kwargs_of(suite, expectation_type):
    return [e.configuration.kwargs for e in suite.expectations if e.expectation_type == expectation_type]


@pytest.fixture()
def new_source(tmp_path, use_sources):
    """A contracts folder holding only the new contract, active alone."""
    directory = new_contract.write_contract(tmp_path / "contracts")
    use_sources(sources=new_contract.SOURCE, contracts_dir=directory)
    return get_registry().get(new_contract.SOURCE)


def test_a_yaml_only_contract_gets_a_suite_with_its_columns_and_keys(new_source):
    suite = build_suite(new_source, LOGICAL_DATE)

    assert suite.name == new_contract.SUITE
    assert suite_names("silver", get_registry()) == [new_contract.SUITE, "silver.ingestion"]
    columns = [k["column"] for k in _kwargs_of(suite, "expect_column_to_exist")]
    assert columns == [*new_contract.SILVER_COLUMNS, *LINEAGE]
    assert [k["column"] for k in _kwargs_of(suite, "expect_column_values_to_be_unique")] == ["member_id"]
    not_null = {k["column"] for k in _kwargs_of(suite, "expect_column_values_to_not_be_null")}
    assert not_null == {"member_id", "tier", "updated_at", "_ingest_date"}
    tiers = [k for k in _kwargs_of(suite, "expect_column_values_to_be_in_set") if k["column"] == "tier"]
    assert tiers[0]["value_set"] == ["bronze", "silver", "gold"], "allowed values re-cased like the column"


def test_a_yaml_only_contract_passes_good_rows_and_fails_bad_ones(new_source, validate_frame):
    suite = build_suite(new_source, LOGICAL_DATE)

    good = validate_frame(suite, new_contract.members(LOGICAL_DATE, 20))
    bad = validate_frame(suite, new_contract.broken_members(LOGICAL_DATE, 20))

    assert good and [o for o in good if not o.success] == []
    assert {o.label for o in critical_failures(bad)} == {
        "expect_column_values_to_be_unique(member_id)",
        "expect_column_values_to_match_regex(email)",
    }
    (tier,) = failed(bad, "expect_column_values_to_be_in_set", "tier")
    assert tier.severity == "warning"


def test_an_extras_file_beside_the_contract_adds_fluent_expectations(tmp_path, use_sources, validate_frame):
    directory = new_contract.write_contract(tmp_path / "contracts", extras=new_contract.EXTRAS)
    use_sources(sources=new_contract.SOURCE, contracts_dir=directory)
    suite = build_suite(get_registry().get(new_contract.SOURCE), LOGICAL_DATE)

    outcomes = validate_frame(suite, new_contract.broken_members(LOGICAL_DATE, 20))

    assert suite.meta["extras"] == str(directory / "expectations" / f"{new_contract.SOURCE}.yml")
    (points,) = [
        o
        for o in failed(outcomes, "expect_column_values_to_be_between", "points")
        if o.severity == "critical"
    ]
    assert points.details["meta"]["check"] == "extra"
    assert "5000000" in points.observed_value


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"expect": "ExpectNothingInParticular", "severity": "warning"}, "not a Great Expectations class"),
        ({"expect": "ExpectColumnValuesToNotBeNull", "column": "points"}, "severity must be one of"),
        (
            {"expect": "ExpectColumnValuesToNotBeNull", "severity": "warning", "column": "pts"},
            "pts not a silver column",
        ),
        (
            {"expect": "ExpectColumnValuesToBeBetween", "severity": "critical", "column": "points"},
            "rejected its arguments",
        ),
    ],
)
def test_a_broken_extras_entry_names_the_file_entry_and_problem(new_source, entry, message):
    with pytest.raises(ExtrasError, match=message) as error:
        parse_extras({"expectations": [entry]}, new_source, "extras.yml")

    assert str(error.value).startswith("extras.yml: expectations[0]: ")


def test_a_new_contract_is_gated_end_to_end_with_no_code_change(isolated_settings, new_source, spark):
    settings = get_settings()  # this test's data folder and the new contract
    silver_data.write_partition(
        settings.silver_dir, new_contract.TABLE, LOGICAL_DATE, new_contract.broken_members(LOGICAL_DATE, 20)
    )

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "new-source", only_suites={new_contract.SUITE})

    assert "suite silver.loyalty_members, expect_column_values_to_be_unique(member_id)" in str(failure.value)


def test_a_broken_extras_file_fails_the_gate_closed(tmp_path, isolated_settings, use_sources, spark):
    directory = new_contract.write_contract(tmp_path / "contracts", extras="expectations: [{expect: Nope}]")
    settings = use_sources(sources=new_contract.SOURCE, contracts_dir=directory)
    silver_data.write_partition(
        settings.silver_dir, new_contract.TABLE, LOGICAL_DATE, new_contract.members(LOGICAL_DATE, 5)
    )

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("silver", DAY, "broken-extras", only_suites={new_contract.SUITE})

    assert "suite silver.loyalty_members, suite_builds: error: " in str(failure.value)
    assert "loyalty_members.yml: expectations[0]: expect 'Nope'" in str(failure.value)


def test_sources_left_out_of_cdp_sources_have_no_suite(isolated_settings, use_sources, spark):
    settings = use_sources(sources="web_events,crm_customers")
    silver_data.write_clean_day(settings.silver_dir, settings.manifests_dir, LOGICAL_DATE)

    result = run_gate("silver", DAY, "two-sources")

    expected = ["silver.crm_customers", "silver.web_events", "silver.ingestion"]
    assert result.success and result.suites == expected == suite_names("silver", get_registry())
    assert {o.suite for o in result.outcomes} == set(expected)
    assert not [w for w in result.warnings if w.expectation == "manifest_present"]
    with pytest.raises(ValueError, match="silver.demographics"):
        run_gate("silver", DAY, "gone", only_suites={"silver.demographics"})
