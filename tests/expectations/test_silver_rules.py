"""The rules derived from the shipped contracts keep what the hand-written silver suites checked."""

from __future__ import annotations

import pytest

from customer_platform.registry import get_registry, parse_contract
from expectations.common import CRITICAL, WARNING
from expectations.suites.silver.rules import ColumnRange, ColumnValues, derive_rules

#: What each hand-written `expectations/silver_<table>.py` listed before the rules were derived.
HAND_WRITTEN = {
    "crm_customers": {
        "natural_key": ("customer_id",),
        "required": ("customer_id", "updated_at"),
        "timestamps": ("created_at", "updated_at"),
        "emails": ("email",),
        "phones": ("phone",),
        "null_drift": ("email", "phone", "birth_date"),
    },
    "web_orders": {
        "natural_key": ("order_id", "line_number"),
        "required": (
            "order_id", "line_number", "customer_id", "ordered_at", "order_status", "sku", "quantity",
            "unit_price", "currency", "line_amount",
        ),
        "timestamps": ("ordered_at",),
        "null_drift": ("category",),
        "mean_drift": ("line_amount", "quantity"),
    },
    "pos_orders": {
        "natural_key": ("transaction_id", "line_number"),
        "required": (
            "transaction_id", "line_number", "transacted_at", "sku", "quantity", "unit_price", "currency",
            "line_amount",
        ),
        "timestamps": ("transacted_at",),
        "emails": ("email",),
        "null_drift": ("email", "loyalty_id", "store_id"),
        "mean_drift": ("line_amount", "quantity"),
    },
    "web_events": {
        "natural_key": ("event_id",),
        "required": ("event_id", "occurred_at", "cookie_id", "event_type"),
        "timestamps": ("occurred_at",),
        "null_drift": ("user_id", "session_id", "sku"),
    },
    "email_engagement": {
        "natural_key": ("event_id",),
        "required": ("event_id", "subscriber_id", "event_type", "occurred_at"),
        "timestamps": ("occurred_at",),
        "emails": ("email",),
        "null_drift": ("email", "campaign_id"),
    },
    "demographics": {
        "natural_key": ("email_sha256",),
        "required": ("email_sha256",),
        "null_drift": ("age_band", "income_band"),
        "mean_drift": ("household_size",),
    },
}  # fmt: skip
EXACT = ("natural_key", "required", "timestamps", "emails", "phones")


@pytest.mark.parametrize("source", sorted(HAND_WRITTEN))
def test_derived_rules_keep_the_hand_written_lists(source):
    contract = get_registry().get(source)
    rules = derive_rules(contract)

    assert rules.columns == contract.silver_names
    for key in EXACT:
        assert getattr(rules, key) == HAND_WRITTEN[source].get(key, ()), key
    # History checks may watch more columns than before, never fewer.
    for key in ("null_drift", "mean_drift"):
        assert set(HAND_WRITTEN[source].get(key, ())) <= set(getattr(rules, key)), key


def test_crm_rules_carry_its_former_extra_checks():
    rules = derive_rules(get_registry().get("crm_customers"))

    assert "email_sha256" in rules.hashes and rules.key_hashes == ()
    assert rules.country_codes == ("country_code",)
    assert rules.birth_dates == ("birth_date",)
    assert rules.present == ("has_marketing_consent",)
    assert rules.ordered == (("updated_at", "created_at"),)


def test_order_line_rules_carry_value_rules_and_amount_limits():
    rules = derive_rules(get_registry().get("web_orders"))

    assert ColumnValues("order_status", ("completed", "cancelled", "returned"), CRITICAL) in rules.in_sets
    assert ColumnValues("currency", ("GBP", "EUR", "USD"), WARNING) in rules.in_sets
    assert ColumnValues("quantity", (0,), CRITICAL) in rules.not_in_sets
    ranges = {r.column: r for r in rules.ranges}
    assert ranges["line_number"] == ColumnRange("line_number", CRITICAL, min_value=0, strict_min=True)
    assert ranges["unit_price"] == ColumnRange(
        "unit_price", CRITICAL, min_value=0, max_value=50_000, strict_min=True
    ), "the contract's max is tighter than the gate's own limit"
    assert (ranges["quantity"].min_value, ranges["quantity"].max_value) == (-10_000, 10_000)
    assert ranges["line_amount"].min_value == -ranges["line_amount"].max_value


def test_event_types_are_critical_and_enrichment_bands_warnings():
    for source in ("web_events", "email_engagement"):
        (event_type,) = derive_rules(get_registry().get(source)).in_sets
        assert event_type.column == "event_type" and event_type.severity == CRITICAL
    demographics = derive_rules(get_registry().get("demographics"))
    assert {r.column for r in demographics.in_sets} == {"age_band", "income_band", "region_type"}
    assert {r.severity for r in demographics.in_sets} == {WARNING}
    assert demographics.key_hashes == ("email_sha256",), "a hashed identifier is the join key: critical"


def _contract(silver, fields, **extra):
    return parse_contract(
        {
            "name": "probe",
            "entity": "order_line",
            "natural_key": ["order_id"],
            "record_id": "order_id",
            "measures": {"order_id": "order_id", "ordered_at": "ordered_at", "line_amount": "amount"},
            "fields": fields,
            "silver": {"table": "probe", "columns": silver},
            **extra,
        }
    )


def test_required_follows_inputs_through_earlier_silver_columns():
    contract = _contract(
        silver=[
            {"order_id": "trim"},
            {"ordered_at": {"std": "copy", "of": "placed"}},
            {"email": "email"},
            {"email_hash": {"std": "salted_sha256", "of": "email"}},
            {"id_hash": {"std": "sha256", "of": "order_id"}},
            {"is_big": {"std": "expr", "expr": "price > 100"}},
            {"currency": {"std": "const", "value": "GBP"}},
            {
                "amount": {
                    "std": "amount_in_base",
                    "quantity": "qty",
                    "price": "price",
                    "currency": "currency",
                }
            },
        ],
        fields=[
            {"name": "order_id", "required": True},
            {"name": "placed", "type": "timestamp", "required": True},
            {"name": "email", "required": True},
            {"name": "qty", "type": "int", "required": True},
            {"name": "price", "type": "double", "required": True},
        ],
    )

    rules = derive_rules(contract)

    # email nulls what it cannot parse, so neither it nor its hash is required; expr may be null.
    assert rules.required == ("order_id", "ordered_at", "id_hash", "currency", "amount")
    assert rules.timestamps == ("ordered_at",)
    assert rules.emails == ("email",)
    assert rules.hashes == ("email_hash", "id_hash")
    assert rules.null_drift == ("email", "is_big"), "hash columns move with their source column"
