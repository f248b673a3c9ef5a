"""Standardizers: Column -> Column functions built from Spark SQL built-ins (no Python UDFs).

Each Spark function that produces a match key (email, phone, hashes) has a plain-Python
twin in `customer_platform.identifiers`, so other parts (erasure, tests) compute identical
values without Spark.
"""

from __future__ import annotations

import json

from pyspark.sql import Column
from pyspark.sql import functions as F

from customer_platform import identifiers
from customer_platform.reference_data import countries, country_aliases, country_key

# Whitespace stripped from value edges: trim() alone keeps tabs, no-break spaces and BOMs.
EDGE_SPACE = " \t\n\r\x0b\x0c\u00a0\ufeff"
_EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_E164_RE = r"^\+[1-9][0-9]{7,14}$"
_UK_POSTCODE = r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$"
DEFAULT_PHONE_COUNTRY = "GB"

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")


def _map(pairs: dict, value_type: str = "string") -> Column:
    # One JSON literal instead of a create_map of 2n literals: the reference maps have
    # hundreds of entries and each literal costs a JVM round trip while planning.
    return F.from_json(F.lit(json.dumps(pairs)), f"map<string,{value_type}>")


def strip(col: Column) -> Column:
    """Trim whitespace (incl. no-break space); empty becomes null."""
    # btrim is a character scan (~10x cheaper than a regex); nullif evaluates it once.
    return F.nullif(F.btrim(col, F.lit(EDGE_SPACE)), F.lit(""))


def lower(col: Column) -> Column:
    """Stripped and lower-cased (enum values, hex keys)."""
    return F.lower(strip(col))


def upper(col: Column) -> Column:
    """Stripped and upper-cased (currency codes, ids)."""
    return F.upper(strip(col))


def normalize_email(col: Column) -> Column:
    """Lower-cased, trimmed email; null when empty or not shaped like an address."""
    value = lower(col)
    return F.when(value.rlike(_EMAIL_RE), value)


def parse_boolean(col: Column) -> Column:
    """true/false from yes/no/1/0/Y/N/true/false/t/f (any case); null otherwise."""
    value = lower(col)
    return F.when(value.isin(*TRUE_WORDS), F.lit(True)).when(value.isin(*FALSE_WORDS), F.lit(False))


def country_code(col: Column) -> Column:
    """ISO-3166 alpha-2 code from a code or name (GB, uk, United Kingdom, France...); null if unknown."""
    key = F.regexp_replace(F.upper(col), "[^A-Z]", "")
    return F.element_at(_map(country_aliases()), key)


def normalize_postcode(col: Column) -> Column:
    """Upper case, single inner spaces; UK postcodes get their one space before the inward code."""
    value = F.regexp_replace(upper(col), r"\s+", " ")
    return F.regexp_replace(value, _UK_POSTCODE, "$1 $2")


def title_case(col: Column) -> Column:
    """Collapse spaces and capitalise words (city names)."""
    return F.initcap(F.regexp_replace(lower(col), r"\s+", " "))


def _trunk_zero_re() -> str:
    codes = sorted({c.calling_code for c in countries().values() if c.trunk_zero}, key=len, reverse=True)
    return "^(" + "|".join(codes) + ")0"


def normalize_phone(col: Column, country: Column | None = None) -> Column:
    """E.164 (+447700900123) from national, international (+44 / 0044) or bare-country-code forms.

    `country` is the row's ISO alpha-2 code; it picks the calling code for national
    numbers and defaults to GB. Numbers that cannot be made valid E.164 become null.
    """
    iso = F.coalesce(country if country is not None else F.lit(None), F.lit(DEFAULT_PHONE_COUNTRY))
    cc = F.element_at(_map({k: c.calling_code for k, c in countries().items()}), iso)
    nsn = F.element_at(_map({k: c.nsn_length for k, c in countries().items() if c.nsn_length}, "int"), iso)
    # "(0)" is the UK/FR habit of showing the trunk zero inside an international number.
    text = F.regexp_replace(strip(col), r"\(0\)", "")
    digits = F.regexp_replace(text, "[^0-9]", "")
    international = (
        F.when(text.startswith("+"), digits)
        .when(digits.startswith("00"), F.substring(digits, 3, 32))
        .when(digits.startswith(cc) & (F.length(digits) == F.length(cc) + nsn), digits)
        .when(digits.startswith("0"), F.concat(cc, F.substring(digits, 2, 32)))
        .when(F.length(digits) == nsn, F.concat(cc, digits))
    )
    e164 = F.concat(F.lit("+"), F.regexp_replace(international, _trunk_zero_re(), "$1"))
    return F.when(e164.rlike(_E164_RE), e164)


def salted_sha256(col: Column, salt: str) -> Column:
    """Hex SHA-256 of salt + value (null stays null): the platform's private match key."""
    return F.when(col.isNotNull(), F.sha2(F.concat(F.lit(salt), col), 256))


def sha256_hex(col: Column) -> Column:
    """Unsalted hex SHA-256 (the industry email match key shared with vendors)."""
    return F.when(col.isNotNull(), F.sha2(col, 256))


def amount_in_base(quantity: Column, price: Column, currency: Column, rates: dict[str, float]) -> Column:
    """quantity × unit_price converted with `rates` (currency -> base multiplier), 4 decimals."""
    rate = F.element_at(_map(rates, "double"), F.upper(currency))
    return F.round(quantity * price * rate, 4)


# Plain-Python twins ---------------------------------------------------------------------
# The match-key twins live in the foundation (customer_platform.identifiers); the `*_py`
# names stay importable from here for the tests that compare both sides.
normalize_email_py = identifiers.normalize_email
normalize_phone_py = identifiers.normalize_phone
salted_sha256_py = identifiers.salted_sha256
sha256_py = identifiers.sha256


def country_code_py(value: str | None) -> str | None:
    """Python twin of `country_code`."""
    return None if value is None else country_aliases().get(country_key(value))
