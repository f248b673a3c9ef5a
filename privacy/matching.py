"""Tell whether a raw value, or a raw delivered line, belongs to the person being erased.

A value matches when it is one of the person's keys (record ids, CRM, loyalty and cookie
ids, hashes, unified ids) or when it is an email or phone whose salted hash is one of the
person's hashes. Raw values are normalized with the foundation's normalisers, the twins of
ingestion's, so `ALICE@X.COM ` in a landing line matches the hash of `alice@x.com` in silver.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from customer_platform.config import get_settings
from customer_platform.identifiers import (
    normalize_email,
    normalize_phone,
    numbering_plans,
    salted_sha256,
    sha256,
)
from privacy.targets import ErasureTargets

_TOKEN_SPLIT = re.compile(r'[,"\t;{}\[\]|]')
_PHONE_LIKE = re.compile(r"^\+?[0-9 ().\-]{7,24}$")


class ValueMatcher:
    """Tells whether a raw value or a raw delivered line belongs to the person."""

    def __init__(
        self, keys: Iterable[str], email_hashes: Iterable[str], phone_hashes: Iterable[str], salt: str
    ):
        self.keys = {k for k in keys if k}
        self.email_hashes = {h for h in email_hashes if h}
        self.phone_hashes = {h for h in phone_hashes if h}
        self.salt = salt
        # National phone numbers only become E.164 with their country: try every known one.
        self._phone_countries = [None, *sorted(numbering_plans())]

    @classmethod
    def for_targets(cls, targets: ErasureTargets) -> ValueMatcher:
        """The matcher of an `ErasureTargets`: its ids and its salted contact hashes."""
        email, phone = targets.salted_hashes("email"), targets.salted_hashes("phone")
        return cls(targets.all_keys(), email, phone, get_settings().hash_salt)

    def value(self, raw: object) -> bool:
        """True when one value (a cell) is a key, or an email/phone hashing to one."""
        if not isinstance(raw, str):
            return False
        text = raw.strip()
        if not text:
            return False
        if text in self.keys:
            return True
        if "@" in text:
            email = normalize_email(text)
            return email is not None and (
                salted_sha256(email, self.salt) in self.email_hashes or sha256(email) in self.keys
            )
        if self.phone_hashes and _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 7:
            for country in self._phone_countries:
                phone = normalize_phone(text, country)
                if phone is not None and salted_sha256(phone, self.salt) in self.phone_hashes:
                    return True
        return False

    def line(self, raw: str | None) -> bool:
        """True when any field of a raw CSV or JSON line matches (quoting is ignored)."""
        return bool(raw) and any(self.value(token) for token in _TOKEN_SPLIT.split(raw))
