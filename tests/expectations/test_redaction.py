"""Examples from personal columns never reach stored gate results, Data Docs, dq_results or messages."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import duckdb
import pytest

from expectations.redaction import (
    REDACTED,
    expectation_columns,
    is_personal,
    personal_columns,
    redact_results,
)
from expectations.results import DataQualityGateFailed
from expectations.runner import run_gate
from tests.expectations import marts_data
from tests.expectations.conftest import LOGICAL_DATE

DUPLICATED = "U00007"


def _item(column, result):
    return SimpleNamespace(expectation_config=SimpleNamespace(kwargs={"column": column}), result=result)


def test_text_examples_of_personal_columns_are_redacted_and_the_rest_kept():
    personal = frozenset({"email", "postcode"})
    results = [
        _item(
            "email",
            {
                "partial_unexpected_list": ["ann@x", None],
                "partial_unexpected_counts": [{"value": "ann@x", "count": 2}],
            },
        ),
        _item("unified_customer_id", {"partial_unexpected_list": ["U1", "U1"]}),  # personal by name
        _item("rfm_segment", {"partial_unexpected_list": ["champs"]}),
        _item("monetary", {"partial_unexpected_list": [1e12], "observed_value": 3.5}),
    ]
    assert redact_results(results, personal) == 4
    assert results[0].result == {
        "partial_unexpected_list": [REDACTED, None],
        "partial_unexpected_counts": [{"value": REDACTED, "count": 2}],
    }
    assert results[1].result["partial_unexpected_list"] == [REDACTED, REDACTED]
    assert results[2].result["partial_unexpected_list"] == ["champs"]
    assert results[3].result == {"partial_unexpected_list": [1e12], "observed_value": 3.5}


def test_the_contracts_say_which_columns_are_personal():
    from customer_platform.registry import get_registry

    personal = personal_columns(get_registry())
    assert {
        "email",
        "phone",
        "first_name",
        "email_hash",
        "customer_id",
        "cookie_id",
        "loyalty_id",
    } <= personal
    assert not {"order_status", "quantity", "currency"} & personal
    assert is_personal("unified_customer_id", personal) and not is_personal("lifecycle_stage", personal)
    assert expectation_columns({"column_list": ["a", "b"]}) == ["a", "b"]


def test_a_failed_uniqueness_check_on_customer_ids_keeps_them_out_of_every_result(isolated_settings):
    tables = marts_data.clean_marts(LOGICAL_DATE)
    rfm = tables["customer_rfm"]
    rfm.loc[rfm.index[3], "unified_customer_id"] = DUPLICATED  # two rows for one customer
    tables["customer_segments"] = marts_data.customer_segments(
        marts_data.customer_ids(30), LOGICAL_DATE - timedelta(days=1)
    )
    marts_data.write_warehouse(isolated_settings.warehouse_path, tables)

    with pytest.raises(DataQualityGateFailed) as failure:
        run_gate("marts", str(LOGICAL_DATE), "redaction")

    message = str(failure.value)
    assert "expect_column_values_to_be_unique(unified_customer_id)" in message and f"'{REDACTED}'" in message
    assert DUPLICATED not in message
    stored = [p for p in isolated_settings.dq_dir.rglob("*") if p.suffix in (".json", ".html")]
    assert any("validations" in p.parts for p in stored) and any(p.suffix == ".html" for p in stored)
    assert [p for p in stored if DUPLICATED in p.read_text(errors="replace")] == []
    with duckdb.connect(str(isolated_settings.warehouse_path), read_only=True) as con:
        observed = con.execute("select string_agg(observed_value, ' ') from marts.dq_results").fetchone()[0]
    assert REDACTED in observed and DUPLICATED not in observed
