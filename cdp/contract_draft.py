"""The draft contract `cdp onboard` proposes for a sniffed sample (see `cdp.onboarding`)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cdp.onboarding import Column, Sample
from customer_platform.config import get_settings
from customer_platform.vocabulary import ENTITY_MEASURES, IDENTIFIER_TYPES

#: Standardizer of an identifier role's silver column (and the salted hash kept beside contact keys).
_STANDARDIZERS = {
    "email": "email",
    "phone": "phone",
    "postcode": "postcode",
    "city": "title",
    "first_name": "trim",
    "last_name": "trim",
    "street_address": "trim",
    "customer_id": "trim",
    "loyalty_id": "trim",
}
_HASHED = ("email", "phone")
#: The record of each entity: the measure or identifier that names one graph node.
_RECORD = {"order": "order_id", "order_line": "order_id", "web_event": "event_id", "email_event": "event_id"}


def _silver(column: Column) -> list[dict[str, Any]]:
    role = column.role
    if role in _HASHED:
        return [{column.name: role}, {f"{column.name}_hash": {"std": "salted_sha256", "of": column.name}}]
    if column.name in {"country", "country_name"} or role == "country_code":
        return [{"country_code": {"std": "country", "of": column.name}}]
    if column.type in ("string",) and role not in _STANDARDIZERS:
        return [{column.name: "trim"}]
    return [{column.name: _STANDARDIZERS.get(role or "", "copy")}]


def _idioms(sample: Sample, entity: str, measures: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Silver flags for real-export idioms seen in the sample, and notes for the user to confirm."""
    by_name = {c.name: c for c in sample.columns}
    silver, notes = [], []
    order_id, quantity = by_name.get(measures.get("order_id", "")), by_name.get(measures.get("quantity", ""))
    if entity in ("order_line", "order") and order_id is not None:
        prefixed = sum(bool(re.match(r"^[A-Za-z]\d", v)) for v in order_id.values)
        if prefixed and prefixed < len(order_id.values):
            letter = Counter(
                v[0].upper() for v in order_id.values if re.match(r"^[A-Za-z]\d", v)
            ).most_common(1)[0][0]
            silver.append(
                {"is_cancelled": {"std": "expr", "expr": f"startswith(upper({order_id.name}), '{letter}')"}}
            )
            measures["is_cancelled"] = "is_cancelled"
            notes.append(
                f"{prefixed} {order_id.header} values start with '{letter}': proposed as cancellations"
            )
    if entity == "order_line" and quantity is not None and any(v.startswith("-") for v in quantity.values):
        silver.append({"is_returned": {"std": "expr", "expr": f"{quantity.name} < 0"}})
        measures["is_returned"] = "is_returned"
        notes.append(f"negative {quantity.header} values: proposed as returns (they subtract from monetary)")
    return silver, notes


def build_contract(
    sample: Sample, name: str, entity: str, relations: dict[str, str] | None = None
) -> dict[str, Any]:
    """A contract mapping for `sample` as `entity`: fields, silver columns, roles, key."""
    allowed = ENTITY_MEASURES[entity]
    by_role = {c.role: c for c in sample.columns if c.role}
    silver: list[dict[str, Any]] = []
    for column in sample.columns:
        silver += _silver(column)
        if column.role in IDENTIFIER_TYPES and any(re.fullmatch(r"\d+\.0+", v) for v in column.values):
            # A spreadsheet round-trip wrote the ids as floats ("17850.0"): strip the suffix.
            silver[-1] = {
                column.name: {"std": "expr", "expr": f"regexp_replace(trim({column.name}), '\\\\.0+$', '')"}
            }
            sample.notes.append(f"{column.header}: ids written as floats (17850.0): the '.0' is stripped")
    silver_names = [next(iter(s)) for s in silver]
    identifiers = {c.name: c.role for c in sample.columns if c.role in IDENTIFIER_TYPES}
    measures = {role: c.name for role, c in by_role.items() if role in allowed}
    flags, notes = _idioms(sample, entity, measures)
    silver += flags
    sample.notes.extend(notes)
    if "country_code" in silver_names and "country_code" in allowed:
        measures["country_code"] = "country_code"
    if (
        entity == "order_line"
        and "line_amount" not in measures
        and {"quantity", "unit_price"} <= set(measures)
    ):
        base = get_settings().base_currency
        silver += [
            {"currency": {"std": "const", "value": base}},
            {
                "line_amount": {
                    "std": "amount_in_base",
                    "quantity": measures["quantity"],
                    "price": measures["unit_price"],
                    "currency": "currency",
                }
            },
        ]
        measures |= {"currency": "currency", "line_amount": "line_amount"}
    record = _RECORD.get(entity)
    record_id = (
        measures.get(record)
        if record
        else next((c for c, role in identifiers.items() if role in ("customer_id", "loyalty_id")), None)
    )
    fields = []
    for column in sample.columns:
        spec: dict[str, Any] = {"name": column.name}
        if column.header != column.name:
            spec["source"] = column.header
        if column.type != "string":
            spec["type"] = column.type
        if column.formats:
            spec["formats"] = column.formats
        if column.name == record_id or column.name in {
            measures.get("ordered_at"),
            measures.get("occurred_at"),
        }:
            spec["required"] = True
        fields.append(spec)
    contract: dict[str, Any] = {
        "name": name,
        "description": f"Draft from cdp onboard ({sample.path.name}); confirm and edit.",
        "format": "csv",
        "timezone": "UTC",
        "example": True,
        "entity": entity,
        "trust_rank": 50,
    }
    if sample.delimiter != ",":
        contract["delimiter"] = sample.delimiter
    sequence = next((c.name for c in sample.columns if re.search(r"seq|sequence|line_?n", c.name)), None)
    if entity == "payment":
        # Several payments per order: the order id and a sequence number, else the whole row.
        contract["natural_key"] = (
            [measures["order_id"], sequence] if sequence and "order_id" in measures else silver_names
        )
    elif entity == "order_line" and "line_number" not in measures:
        # No line number: the whole line is the key, and exact repeats are re-deliveries.
        contract["natural_key"] = [n for n in silver_names if n not in ("currency", "line_amount")]
        contract["duplicates"] = "collapse"
    elif record_id:
        contract["natural_key"] = [record_id]
    else:
        contract["natural_key"] = silver_names[:1]
    if "observed_at" in measures:
        contract["latest_by"] = measures["observed_at"]
    if record_id and identifiers:
        contract["record_id"] = record_id
    if relations:
        contract["relations"] = dict(relations)
    elif entity == "order" and "net_amount" not in measures:
        sample.notes.append(
            "no amount column: name the payment or line source with --relation payments=SOURCE (or lines=SOURCE)"
        )
    contract |= {"identifiers": identifiers, "measures": measures, "fields": fields}
    contract["silver"] = {"table": name, "columns": silver}
    return contract
