"""Identifier normalisers in plain Python: the match keys ingestion writes to silver.

`normalize_email` and `normalize_phone` follow the same rules as the Spark column versions in
`spark_jobs.transforms.standardize` (whose tests run both on the same inputs), so a value
normalised and hashed here equals what silver holds; `salted_sha256` is the platform's private
match key and `sha256` the unsalted email key shared with vendors. No Spark: erasure, tests
and any other stage use these without a JVM.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from customer_platform.reference_data import Country, countries

#: Whitespace stripped from value edges (str.strip() alone keeps no-break spaces and BOMs).
EDGE_SPACE = " \t\n\r\x0b\x0c\u00a0\ufeff"
#: National numbers without a country are read as numbers of this country.
DEFAULT_PHONE_COUNTRY = "GB"
# Java's \s is ASCII-only; spell the same class out so Spark and Python agree on every input.
_SPACE = " \t\n\x0b\f\r"
_EMAIL = re.compile(f"[^@{_SPACE}]+@[^@{_SPACE}]+\\.[^@{_SPACE}]+")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_NON_DIGIT = re.compile(r"[^0-9]")


def numbering_plans() -> dict[str, Country]:
    """Numbering plans (calling code, trunk zero, usual length) by ISO alpha-2 code."""
    return countries()


@lru_cache(maxsize=1)
def _trunk_zero() -> re.Pattern[str]:
    # "+44 0 7700..." written with the trunk zero kept: E.164 drops it.
    plans = numbering_plans().values()
    codes = sorted({p.calling_code for p in plans if p.trunk_zero}, key=len, reverse=True)
    return re.compile("^(" + "|".join(codes) + ")0")


def normalize_email(value: str | None) -> str | None:
    """Lower-cased, trimmed email; None when empty or not shaped like an address."""
    if value is None:
        return None
    text = value.strip(EDGE_SPACE).lower()
    return text if _EMAIL.fullmatch(text) else None


def normalize_phone(value: str | None, country: str | None = None) -> str | None:
    """E.164 (+447700900123) from national, international (+44 / 0044) or bare-country-code forms.

    country: the ISO alpha-2 code that national numbers belong to (default GB). Numbers that
    cannot be made valid E.164 give None.
    """
    if value is None:
        return None
    plan = numbering_plans().get(country or DEFAULT_PHONE_COUNTRY)
    cc, nsn = (plan.calling_code, plan.nsn_length) if plan else ("", None)
    # "(0)" is the UK/FR habit of showing the trunk zero inside an international number.
    text = value.strip(EDGE_SPACE).replace("(0)", "")
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif cc and nsn and digits.startswith(cc) and len(digits) == len(cc) + nsn:
        number = digits
    elif cc and digits.startswith("0"):
        number = cc + digits[1:]
    elif cc and nsn and len(digits) == nsn:
        number = cc + digits
    else:
        return None
    e164 = "+" + _trunk_zero().sub(r"\1", number)
    return e164 if _E164.fullmatch(e164) else None


def salted_sha256(value: str | None, salt: str) -> str | None:
    """Hex SHA-256 of salt + value (None stays None): the platform's private match key."""
    return None if value is None else hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def sha256(value: str | None) -> str | None:
    """Unsalted hex SHA-256 (the email match key shared with vendors); None stays None."""
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()
