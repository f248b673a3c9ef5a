"""Replace one person's values in free text: logs, run summaries, GX results, Data Docs, reports.

    scrubber = TextScrubber(matcher, needles)
    text, replaced = scrubber.scrub(text)

Free text holds values inside sentences, JSON strings, HTML cells and log lines, so whole
rows cannot be dropped as in a table: each value is replaced by `ERASED` instead. A value is
the person's when it is

1. one of their exact strings (`needles`: ids, unified and record ids, hashes and match
   keys, and, when the request is at hand, its normalized emails and E.164 phones), matched
   case-insensitively as a whole token (`C0000123` does not match inside `C00001234`);
2. an email-shaped token whose normalized address hashes to one of their hashes
   (`privacy.matching`), whatever its case: ` ANN@Example.com` goes too;
3. a phone-shaped token (7 to 15 digits with the usual separators) that normalizes, in any
   known numbering plan, to one of their phone hashes: `07700 900123`, `+44 7700 900123` and
   the bare national digits `7700900123` all go.

Names are not searched for: a first name alone identifies nobody and text cannot tell a name
from a word; rows that carry names go with the records found by keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from privacy.matching import ValueMatcher

ERASED = "[erased]"

_STOP = r"\s@'\"<>()\[\]{},;:\\`|="
# Anchored at a token's start: unanchored, a long run without a stop (minified script in an
# HTML report) would be rescanned from each of its characters.
_EMAIL = re.compile(rf"(?<![^{_STOP}])[^{_STOP}@]+@[^{_STOP}@]+\.[^{_STOP}@]+")
# Digits with the separators people write phones with; never glued to a word, a decimal point
# or another digit (so hashes, floats and ids are not read as numbers).
_PHONE = re.compile(r"(?<![\w.+\-/])\+?(?:\(\d{1,5}\)[ .\-]?)?\d(?:[ .\-/()]{0,2}\d){6,18}(?![\w.]?\d)(?!\w)")
_DECIMAL = re.compile(r"\d+\.\d+")
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 7, 15


class TextScrubber:
    """Finds and replaces one person's values in free text."""

    def __init__(self, matcher: ValueMatcher, needles: Iterable[str] = ()):
        """matcher: the person's ids and hashes (`ValueMatcher.for_targets`); needles: extra exact strings."""
        self.matcher = matcher
        exact = sorted({n.strip() for n in [*matcher.keys, *needles] if n and len(n.strip()) >= 4}, key=len)
        self.needles = tuple(reversed(exact))  # longest first, so no needle is cut by a shorter one
        alternatives = "|".join(re.escape(n) for n in self.needles)
        self._exact = (
            re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.IGNORECASE)
            if self.needles
            else None
        )

    def scrub(self, text: str) -> tuple[str, int]:
        """`text` with the person's values replaced by `ERASED`, and how many were replaced."""
        total = 0
        if self._exact is not None:
            text, count = self._exact.subn(ERASED, text)
            total += count
        if "@" in text:
            text, count = self._replace(_EMAIL, text)
            total += count
        if self.matcher.phone_hashes:
            text, count = self._replace(_PHONE, text, self._phone_shaped)
            total += count
        return text, total

    def contains(self, text: str) -> bool:
        """True when `text` holds one of the person's values."""
        return self.scrub(text)[1] > 0

    def _replace(self, pattern: re.Pattern[str], text: str, shaped=lambda token: True) -> tuple[str, int]:
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            token = match[0]
            if shaped(token) and self.matcher.value(token):
                count += 1
                return ERASED
            return token

        return pattern.sub(replace, text), count

    @staticmethod
    def _phone_shaped(token: str) -> bool:
        if _DECIMAL.fullmatch(token):
            return False  # a measurement (0.7700900123), not a number written with dots
        return _MIN_PHONE_DIGITS <= sum(c.isdigit() for c in token) <= _MAX_PHONE_DIGITS
