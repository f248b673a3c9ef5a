"""The fixed words of a source contract (documented in docs/sources.md).

Kept apart from the loader so the Spark standardizers, the silver gate and dbt can be
checked against the same lists.
"""

from __future__ import annotations

#: File formats and the suffixes a drop's files may have.
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".txt"),
    "jsonl": (".jsonl", ".json", ".ndjson"),
}

#: Types of contract (bronze) fields.
FIELD_TYPES: tuple[str, ...] = ("string", "int", "long", "double", "boolean", "date", "timestamp")

#: Standardizers a silver column may use (implemented in spark_jobs/transforms/silver.py).
STANDARDIZER_NAMES: tuple[str, ...] = (
    "copy", "trim", "lower", "upper", "title", "email", "phone", "postcode", "country",
    "salted_sha256", "sha256", "amount_in_base", "expr", "const",
)  # fmt: skip

#: What one silver row is.
ENTITIES: tuple[str, ...] = (
    "customer_record",  # a profile or contact (CRM, loyalty scheme, shop accounts)
    "order",  # an order header with its amount
    "order_line",  # one line of an order or receipt
    "payment",  # a payment against an order
    "web_event",  # clickstream event
    "email_event",  # sent / open / click / bounce / unsubscribe
    "enrichment",  # bought-in attributes keyed by an identifier
    "campaign_member",  # a person in a campaign's audience, in its treatment or holdout group
)

#: Measure roles per entity -> whether a contract of that entity must map it.
ENTITY_MEASURES: dict[str, dict[str, bool]] = {
    "customer_record": {"observed_at": False, "first_seen_at": False, "marketing_consent": False, "country_code": False},
    # net_amount is required unless the order takes its amount from related payments or lines.
    "order": {
        "order_id": True, "ordered_at": True, "net_amount": False, "order_status": False,
        "is_cancelled": False, "is_returned": False, "currency": False,
    },
    "order_line": {
        "order_id": True, "ordered_at": False, "line_amount": True, "line_number": False, "order_status": False,
        "is_cancelled": False, "is_returned": False, "is_merchandise": False, "sku": False, "category": False,
        "quantity": False, "unit_price": False, "currency": False,
    },
    "payment": {"order_id": True, "amount": True, "paid_at": False, "payment_method": False},
    "web_event": {"event_id": True, "occurred_at": True, "event_type": True, "session_id": False, "sku": False},
    "email_event": {"event_id": True, "occurred_at": True, "event_type": True, "campaign_id": False},
    "enrichment": {
        "age_band": False, "income_band": False, "household_size": False, "has_children": False,
        "region_type": False, "observed_at": False,
    },
    "campaign_member": {
        "campaign_id": True, "assigned_at": True, "group": True, "channel": False, "campaign_name": False,
    },
}  # fmt: skip

#: Values of a `campaign_member`'s `group`: contacted, or held out to measure the campaign's lift.
CAMPAIGN_GROUPS: tuple[str, ...] = ("treatment", "holdout")

#: What exact duplicate rows of a delivery are: re-deliveries of one row (collapse, the
#: default) or real repeated rows, e.g. the same item scanned twice on a receipt (keep).
DUPLICATE_POLICIES: tuple[str, ...] = ("collapse", "keep")

#: Related sources an entity may name (`relations:`): role -> entity of the related source,
#: joined on the `order_id` measure of both.
RELATIONS: dict[str, dict[str, str]] = {
    "order": {"payments": "payment", "lines": "order_line"},
}

#: Identifier types: keys that link records deterministically, and matching attributes.
KEY_TYPES: tuple[str, ...] = ("email", "phone", "customer_id", "loyalty_id", "user_id", "cookie_id")
ATTRIBUTE_TYPES: tuple[str, ...] = (
    "first_name",
    "last_name",
    "birth_date",
    "postcode",
    "city",
    "street_address",
)
IDENTIFIER_TYPES: tuple[str, ...] = KEY_TYPES + ATTRIBUTE_TYPES

#: How an identifier is used: a deterministic key, a probabilistic (Splink) attribute, or both.
MATCH_KINDS: tuple[str, ...] = ("deterministic", "probabilistic", "both")
#: Which values of a record link: all of them, or only the most frequent (a shared computer).
PER_RECORD: tuple[str, ...] = ("all", "most_frequent")
#: The identifier column holds the value, or a hash of its normalized value (vendor match keys).
IDENTIFIER_FORMS: tuple[str, ...] = ("raw", "sha256", "salted_sha256")

#: PII classes: contact data (restricted `pii` schema, hashed in marts, erased), attributes that
#: identify in combination (kept out of analyst marts, erased), and none.
PII_CLASSES: tuple[str, ...] = ("contact", "quasi_identifier", "none")

_CONTACT_TYPES = {"email", "phone", "first_name", "last_name", "street_address"}
_QUASI_TYPES = {"birth_date", "postcode", "city"}


def default_match(identifier_type: str) -> str:
    """Keys link deterministically; names, birth dates and places only probabilistically."""
    return "deterministic" if identifier_type in KEY_TYPES else "probabilistic"


def default_pii(identifier_type: str, form: str = "raw") -> str:
    """PII class of an identifier column unless the contract says otherwise."""
    if form != "raw":
        return "none"
    if identifier_type in _CONTACT_TYPES:
        return "contact"
    if identifier_type in _QUASI_TYPES:
        return "quasi_identifier"
    return "none"
