"""Business plausibility: range and sign rules quarantine, free text and amount outliers are flagged."""

from __future__ import annotations

import pytest

from spark_jobs.contracts import ContractError, get_contract, parse_contract
from spark_jobs.ingest import ingest_source
from tests.spark_jobs.lake import manifest, read_table
from tests.spark_jobs.landing_files import row, valid_rows, write_drop

D1, D2 = "2026-06-02", "2026-06-03"
SIGN_RULE = "quantity may be negative only when order_status is one of [cancelled, returned]"


def _contract(**field_rules) -> dict:
    return {
        "name": "shop",
        "entity": "order_line",
        "natural_key": ["order_id"],
        "fields": [
            {"name": "order_id", "required": True},
            {"name": "order_status", "allowed": ["completed", "returned"]},
            {"name": "quantity", "type": "int", **field_rules},
        ],
        "silver": {"table": "shop_lines", "columns": [{"order_id": "trim"}, {"quantity": "copy"}]},
        "measures": {"order_id": "order_id", "line_amount": "quantity", "ordered_at": "order_id"},
    }


@pytest.mark.parametrize(
    ("rules", "named"),
    [
        ({"min": 5, "max": 1}, "min 5 is above max 1"),
        ({"max": "lots"}, "max must be a number"),
        ({"negative_only_when": {"order_status": "returned"}}, "must map one field to a list"),
        ({"negative_only_when": {"status": ["returned"]}}, "unknown field 'status'"),
        ({"negative_only_when": {"order_status": ["refunded"]}}, "['refunded'] are not allowed values"),
    ],
)
def test_range_and_sign_rules_are_checked_when_the_contract_loads(rules, named):
    with pytest.raises(ContractError, match="quantity") as error:
        parse_contract(_contract(**rules))
    assert named in str(error.value)


def test_range_rules_apply_to_numbers_only_and_outlier_settings_are_checked():
    data = _contract()
    data["fields"][0]["max"] = 3
    with pytest.raises(ContractError, match="only apply to int, long or double fields"):
        parse_contract(data)
    with pytest.raises(ContractError, match="outliers.factor must be a number at least 1"):
        parse_contract({**_contract(), "outliers": {"columns": ["quantity"], "factor": 0.5}})
    with pytest.raises(ContractError, match="outliers.columns: 'amount' is not a silver column"):
        parse_contract({**_contract(), "outliers": {"columns": ["amount"]}})
    assert parse_contract({**_contract(), "outliers": False}).outliers.columns == ()


def test_the_shipped_order_contracts_bound_prices_and_quantities():
    web, pos = get_contract("web_orders"), get_contract("pos_orders")
    for contract in (web, pos):
        fields = {f.name: f for f in contract.fields}
        assert fields["unit_price"].max == 50000
        assert (fields["quantity"].min, fields["quantity"].max) == (-10000, 10000)
    quantity = next(f for f in web.fields if f.name == "quantity")
    assert quantity.negative_only_when == ("order_status", ("cancelled", "returned"))


def test_absurd_price_and_a_negative_quantity_on_a_completed_line_are_quarantined(spark, isolated_settings):
    s = isolated_settings
    rows = [
        *valid_rows("web_orders", 40),
        row("web_orders", 41, unit_price="1e12"),
        row("web_orders", 42, quantity=-3, order_status="completed"),
        row("web_orders", 43, quantity=-3, order_status="returned"),
        row("web_orders", 44, quantity=20000),
    ]
    write_drop(s.landing_dir, "web_orders", D2, rows)

    m = ingest_source("web_orders", D2, run_id="run-1", spark=spark)

    assert (m["status"], m["rows_read"], m["rows_bronze"], m["rows_quarantined"]) == ("ok", 44, 41, 3)
    assert m["quarantine_reasons"] == {
        "unit_price must be <= 50000": 1,
        SIGN_RULE: 1,
        "quantity must be <= 10000": 1,
    }
    quarantined = {
        r["_raw_line"].split(",")[0]: r["_reason"] for r in read_table(s.quarantine_dir / "web_orders")
    }
    assert quarantined["W00000041"] == "unit_price must be <= 50000: 1.0E12"
    assert quarantined["W00000042"] == f"{SIGN_RULE}: -3 with order_status 'completed'"
    silver = {r["order_id"]: r for r in read_table(s.silver_dir / "web_order_lines")}
    assert "W00000041" not in silver and "W00000042" not in silver
    returned = silver["W00000043"]
    assert (returned["quantity"], returned["line_amount"], returned["is_returned"]) == (-3, -31.5, True)
    assert max(abs(r["line_amount"]) for r in silver.values()) == 31.5


def test_formula_and_markup_names_are_counted_and_kept_verbatim_in_silver(spark, isolated_settings):
    s = isolated_settings
    rows = [
        *valid_rows("crm_customers", 10),
        row("crm_customers", 11, first_name="=1+2"),
        row("crm_customers", 12, last_name="<script>alert(1)</script>"),
        row("crm_customers", 13, first_name="Ann-Marie", phone="+44 7700 900123"),
    ]
    write_drop(s.landing_dir, "crm_customers", D2, rows)

    m = ingest_source("crm_customers", D2, run_id="run-1", spark=spark)

    assert m["rows_quarantined"] == 0 and m["rows_silver"] == 13
    assert m["plausibility"]["unsafe_text"] == {"first_name": 1, "last_name": 1, "city": 0}
    assert sum(w.startswith("unsafe text: 1 first_name value(s)") for w in m["warnings"]) == 1
    assert sum(w.startswith("unsafe text: 1 last_name value(s)") for w in m["warnings"]) == 1
    silver = {r["customer_id"]: r for r in read_table(s.silver_dir / "crm_customers")}
    assert silver["C0000011"]["first_name"] == "=1+2", "silver keeps what was delivered; exports neutralise"
    assert silver["C0000013"]["phone"] == "+447700900123"


def test_an_amount_far_beyond_the_sources_history_is_flagged_not_dropped(spark, isolated_settings):
    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", D1, valid_rows("web_orders", 120))  # lines of 21.00
    first = ingest_source("web_orders", D1, run_id="run-1", spark=spark)
    assert first["plausibility"]["outliers"] == {
        "line_amount": {"rows": 0, "bound": None, "history_rows": 0}
    }, "no history yet: nothing is judged"

    big = row("web_orders", 500, quantity=100, unit_price="40")  # within the price and quantity limits
    write_drop(s.landing_dir, "web_orders", D2, [*valid_rows("web_orders", 30, start=200), big])
    m = ingest_source("web_orders", D2, run_id="run-2", spark=spark)

    assert m["rows_quarantined"] == 0 and m["rows_silver"] == 31, "an outlier is flagged, never dropped"
    assert m["plausibility"]["outliers"] == {"line_amount": {"rows": 1, "bound": 210.0, "history_rows": 120}}
    (warning,) = [w for w in m["warnings"] if w.startswith("amount outliers:")]
    assert warning.startswith("amount outliers: 1 line_amount value(s) beyond 210.00")
    silver = {r["order_id"]: r for r in read_table(s.silver_dir / "web_order_lines")}
    assert silver["W00000500"]["line_amount"] == 4000.0
    assert manifest(s, "web_orders", D2)["plausibility"] == m["plausibility"], "written to the manifest file"
