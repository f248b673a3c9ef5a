"""Scrub personal data out of free text (exception messages) before it leaves the platform.

Alerts carry allow-listed fields only, but one of them is an exception's message, and
messages quote the data that broke them: an address in a failing row, a phone, a customer
id. `scrub` replaces, in this order:

1. e-mail addresses (anything shaped `local@domain.tld`)            -> `[email]`
2. UUIDs, and hex runs of 16+ characters with a digit (hashed
   e-mails, unified customer ids, match keys)                       -> `[id]`
3. the value of a `key=value` / `key: value` pair whose key names an
   identifier or a secret (email, phone, name, address, postcode,
   birth, ip, cookie, user, customer, id, token, password, ...)      -> `key=[redacted]`
4. phone-like numbers: 7+ digits written with `+`, spaces, dots,
   dashes, slashes or brackets between them                         -> `[phone]`
5. any remaining run of 6+ digits (card, account, CRM and loyalty
   numbers: `C0000123` becomes `C[number]`)                        -> `[number]`
6. quoted literals ('...' or "...") other than dotted or snake_case
   names and paths (tables, columns, files stay readable)           -> `'[redacted]'`

ISO dates and timestamps (`2026-06-30`, `2026-06-30T12:50:45.202220+00:00`, as in Airflow run
ids) are kept whole: they date the failure and identify nobody on their own. It then collapses whitespace and truncates to `limit` characters. What it cannot know is a
name written bare in running text ("Ann Smith not found"): such text is only safe because
the alert keeps to the allow-list and the message stays short. Over-redaction (an amount
with many digits, a time stamp with microseconds) is accepted as the price of that.
"""

from __future__ import annotations

import re

DEFAULT_LIMIT = 300
ELLIPSIS = "…"

_STOP = r"\s@'\"<>()\[\]{},;:"
_EMAIL = re.compile(rf"[^{_STOP}]+@[^{_STOP}]+\.[^{_STOP}]+")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b")
_HEX = re.compile(r"(?<![0-9a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}(?![0-9a-fA-F])")
#: Words that, as a part of a key, mark its value as an identifier or a secret.
IDENTIFIER_KEY_WORDS = frozenset(
    "email mail phone mobile tel telephone fax name firstname lastname surname fullname address "
    "street postcode postalcode zip zipcode birth birthdate dob ip cookie user username login "
    "customer person subscriber loyalty contact account card iban ssn passport nin id uid "
    "identifier token password passwd secret salt key apikey authorization".split()
)
# The value is matched in a lookahead: a pair whose key is harmless (`url: http://x/?email=...`)
# consumes only its key, so pairs inside its value are still found.
_PAIR = re.compile(
    r"['\"]?(?P<name>[A-Za-z][\w.\-]*)['\"]?\s*[=:]\s*"
    r"(?=(?P<value>'[^']*'|\"[^\"]*\"|[^\s,;&)\]}]+))"
)
_ISO_TIME = re.compile(
    r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[ .\-/()]{0,2}\d)+")
_DIGITS = re.compile(r"\d{6,}")
_QUOTED = re.compile(r"(?<![A-Za-z])'([^'\n]*)'(?![A-Za-z])|\"([^\"\n]*)\"")
_SAFE_LITERAL = re.compile(r"[a-z][a-z0-9]*(?:[._/][a-z0-9]+)+|/[\w./\-]*|\[[a-z]+\]|\x00.\x00|")
_SPACE = re.compile(r"\s+")
_WORD_SPLIT = re.compile(r"[_.\-]+|(?<=[a-z])(?=[A-Z])")


def is_identifier_key(name: str) -> bool:
    """Whether a key (`customer_id`, `firstName`, `email`) names an identifier or a secret."""
    if name.endswith(("Error", "Exception", "Warning")):
        return False  # `KeyError: ...` is an exception's name, not a field
    words = [w.lower() for w in _WORD_SPLIT.split(name) if w]
    return any(w in IDENTIFIER_KEY_WORDS for w in words) or name.lower() in IDENTIFIER_KEY_WORDS


def _redact_pairs(text: str) -> str:
    parts, position = [], 0
    for match in _PAIR.finditer(text):
        if match.start() < position or not is_identifier_key(match["name"]):
            continue  # inside a value already redacted, or a harmless key
        parts += [text[position : match.end()], "[redacted]"]
        position = match.end() + len(match["value"])
    return "".join(parts) + text[position:]


def _phone(match: re.Match[str]) -> str:
    text = match[0]
    return "[phone]" if sum(c.isdigit() for c in text) >= 7 else text


def _quoted(match: re.Match[str]) -> str:
    inner = match[1] if match[1] is not None else match[2]
    quote = "'" if match[1] is not None else '"'
    return match[0] if _SAFE_LITERAL.fullmatch(inner) else f"{quote}[redacted]{quote}"


def scrub(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """`text` (any object, as `str()`) with personal data replaced; at most `limit` characters."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match[0])
        return f"\x00{chr(0xE000 + len(kept) - 1)}\x00"  # no digit: untouched by the rules below

    result = _EMAIL.sub("[email]", str(text).replace("\x00", ""))
    result = _ISO_TIME.sub(keep, result)
    result = _UUID.sub("[id]", result)
    result = _HEX.sub("[id]", result)
    result = _redact_pairs(result)
    result = _PHONE.sub(_phone, result)
    result = _DIGITS.sub("[number]", result)
    result = _QUOTED.sub(_quoted, result)
    result = re.sub("\x00(.)\x00", lambda m: kept[ord(m[1]) - 0xE000], result)
    return truncate(_SPACE.sub(" ", result).strip(), limit)


def truncate(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """`text` cut to `limit` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS
