"""Tell whether a raw value, or a raw delivered line, belongs to the person being erased.

A value matches when it is one of the person's keys (record ids, CRM, loyalty and cookie
ids, hashes, unified ids) or when it is an email or phone whose salted hash is one of the
person's hashes. Raw values are normalized with the foundation's normalisers, the twins of
ingestion's, so `ALICE@X.COM ` in a landing line matches the hash of `alice@x.com` in silver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from customer_platform.config import get_settings
from customer_platform.identifiers import (
    normalize_email,
    normalize_phone,
    numbering_plans,
    salted_sha256,
    sha256,
)
from customer_platform.suppression import suppression_key
from privacy.targets import ErasureTargets

_TOKEN_SPLIT = re.compile(r'[,"\t;{}\[\]|]')
_PHONE_LIKE = re.compile(r"^\+?[0-9 ().\-]{7,24}$")


class ValueMatcher:
    """Tells whether a raw value or a raw delivered line belongs to the person."""

    def __init__(
        self,
        keys: Iterable[str],
        email_hashes: Iterable[str],
        phone_hashes: Iterable[str],
        salt: str,
        encode: Callable[[str], str] | None = None,
    ):
        """keys, email_hashes, phone_hashes: the person's values, each passed through `encode`
        (default: as they are; the suppression list's keyed hashes pass `suppression_key`)."""
        self.keys = {k for k in keys if k}
        self.email_hashes = {h for h in email_hashes if h}
        self.phone_hashes = {h for h in phone_hashes if h}
        self.salt = salt
        self._encode = encode or (lambda value: value)
        # National phone numbers only become E.164 with their country: try every known one.
        self._phone_countries = [None, *sorted(numbering_plans())]
        self._phones: dict[str, bool] = {}  # free text repeats its numbers: remember each verdict

    @classmethod
    def for_targets(cls, targets: ErasureTargets) -> ValueMatcher:
        """The matcher of an `ErasureTargets`: its ids and its salted contact hashes."""
        email, phone = targets.salted_hashes("email"), targets.salted_hashes("phone")
        return cls(targets.all_keys(), email, phone, get_settings().hash_salt)

    @classmethod
    def for_suppression_keys(cls, keys: Iterable[str]) -> ValueMatcher:
        """A matcher of suppression keys: every value is keyed (`suppression_key`) before it is looked up."""
        salt = get_settings().hash_salt
        listed = set(keys)
        return cls(listed, listed, listed, salt, encode=lambda value: suppression_key(value, salt))

    def value(self, raw: object) -> bool:
        """True when one value (a cell) is a key, or an email/phone hashing to one."""
        if not isinstance(raw, str):
            return False
        text = raw.strip()
        if not text:
            return False
        if self._encode(text) in self.keys:
            return True
        if "@" in text:
            email = normalize_email(text)
            return email is not None and (
                self._encode(salted_sha256(email, self.salt)) in self.email_hashes
                or self._encode(sha256(email)) in self.keys
            )
        if self.phone_hashes and _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 7:
            if text not in self._phones:
                self._phones[text] = self._is_phone(text)
            return self._phones[text]
        return False

    def _is_phone(self, text: str) -> bool:
        for country in self._phone_countries:
            phone = normalize_phone(text, country)
            if phone is not None and self._encode(salted_sha256(phone, self.salt)) in self.phone_hashes:
                return True
        return False

    def line(self, raw: str | None) -> bool:
        """True when any field of a raw CSV or JSON line matches (quoting is ignored)."""
        return bool(raw) and any(self.value(token) for token in _TOKEN_SPLIT.split(raw))
