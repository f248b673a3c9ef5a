"""Free text that could run where it lands: spreadsheet formulas and markup (pure Python).

A value is *unsafe* when a spreadsheet would read it as a formula (it starts with `=`, `+`,
`-`, `@`, a tab or a carriage return: the OWASP CSV-injection list) or when it carries markup
(an HTML tag, or a `javascript:` URL). Ingestion counts unsafe values of every free-text silver
column (`spark_jobs.plausibility`, same patterns); everything that leaves the platform passes
through `neutralise`, so no export cell runs anywhere:

- markup: `&`, `<` and `>` are HTML-escaped and `javascript:` loses its colon-scheme, so a
  destination that puts the value into a page shows text (escaping rather than stripping never
  turns a value into a different, deliverable email address);
- formula-leading: a single quote is put in front (OWASP), so a spreadsheet shows the text.

A phone number in E.164 (`+447700900123`) is left as it is: messaging tools need it, and a `+`
followed by digits only is a number, not a formula that can call anything.
"""

from __future__ import annotations

import html
import re

import pandas as pd

#: Characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Java- and Python-compatible patterns (Spark uses the same text in `rlike`).
FORMULA_PATTERN = r"^[=+\-@\t\r]"
MARKUP_PATTERN = r"(?i)(<\s*[a-z!/?][^>]*>|javascript\s*:)"
E164_PATTERN = r"^\+[1-9][0-9]{7,14}$"

_MARKUP = re.compile(MARKUP_PATTERN)
_E164 = re.compile(E164_PATTERN)
_SCHEME = re.compile(r"(?i)javascript\s*:")


def is_formula(value: str) -> bool:
    """True when a spreadsheet would evaluate `value` (an E.164 phone number is not)."""
    return value.startswith(FORMULA_START) and not _E164.match(value)


def has_markup(value: str) -> bool:
    """True when `value` holds an HTML tag or a `javascript:` URL."""
    return bool(_MARKUP.search(value))


def is_unsafe(value: object) -> bool:
    """True for a string that is formula-leading or carries markup."""
    return isinstance(value, str) and (is_formula(value) or has_markup(value))


def neutralise(value: object) -> object:
    """`value` made inert for spreadsheets and pages; anything that is not a string is returned as is."""
    if not isinstance(value, str):
        return value
    if has_markup(value):
        value = html.escape(value, quote=False)
        while _SCHEME.search(value):
            value = _SCHEME.sub("javascript-", value)
    return "'" + value if is_formula(value) else value


def neutralise_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A copy of `frame` with every text cell neutralised, and how many cells changed."""
    out, changed = frame.copy(), 0
    for column in out.columns:
        if not (out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype)):
            continue
        before = out[column].tolist()
        after = [neutralise(v) for v in before]
        changed += sum(isinstance(b, str) and a != b for a, b in zip(after, before, strict=True))
        out[column] = pd.Series(after, index=out.index, dtype=out[column].dtype)
    return out, changed
