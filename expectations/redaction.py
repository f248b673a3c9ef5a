"""Keep people's values out of stored gate results: examples from personal columns are redacted.

A gate keeps up to three unexpected values per expectation (`gx_context.RESULT_FORMAT`), and
from there they reach the GX validation store, Data Docs, the results JSON, `marts.dq_results`,
failure messages, run summaries and alerts. For a column that holds personal data or an
identifier, such an example is someone's email, phone or customer id. GX applies one result
format to a whole checkpoint (an expectation's own is overridden), so the examples are
redacted right after the run and the stored result is written again before Data Docs are
built or anything else reads it.

A column is personal when a contract gives it a PII class other than `none`, declares it an
identifier (raw or hashed) or record id, or derives a hash from it; or when its name says so
(`customer_id`, `email_hash`, `unified_customer_id`, `first_name`: `customer_platform.redaction`).
Only text is redacted: a null ("None, None, None" for a missing email) or a number says
nothing about anyone and keeps the example useful.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from customer_platform.redaction import is_identifier_key
from customer_platform.registry import Registry

REDACTED = "[redacted]"
#: Result keys that carry values of the data (everything else is counts and shares).
VALUE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "observed_value",
    "details",
)


def personal_columns(registry: Registry) -> frozenset[str]:
    """Silver columns of every known contract that hold personal data or identify a person."""
    names: set[str] = set()
    for contract in registry.contracts.values():
        names |= {column for column, pii_class in contract.pii.items() if pii_class != "none"}
        names |= {identifier.column for identifier in contract.identifiers}
        names |= {contract.record_id} if contract.record_id else set()
        names |= {c.name for c in contract.silver_columns if c.std in ("salted_sha256", "sha256")}
    return frozenset(names)


def expectation_columns(kwargs: dict[str, Any]) -> list[str]:
    """The columns an expectation looks at (`column`, `column_list`, `column_A`/`column_B`)."""
    columns = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
    columns += list(kwargs.get("column_list") or [])
    return [str(c) for c in columns if c]


def is_personal(column: str, personal: Collection[str]) -> bool:
    """Whether examples of `column` could be someone's data."""
    return column in personal or is_identifier_key(column)


def _redacted(value: Any) -> tuple[Any, int]:
    if isinstance(value, str):
        return REDACTED, 1
    if isinstance(value, dict):
        pairs = [(k, _redacted(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, sum(n for _, (_, n) in pairs)
    if isinstance(value, list | tuple):
        items = [_redacted(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    return value, 0


def redact_results(results: Iterable[Any], personal: Collection[str]) -> int:
    """Redact, in place, the text values in the results of expectations on personal columns; returns how many."""
    redacted = 0
    for item in results:
        config, result = item.expectation_config, item.result
        if not result or not any(is_personal(c, personal) for c in expectation_columns(dict(config.kwargs))):
            continue
        for key in VALUE_KEYS:
            if key in result:
                result[key], count = _redacted(result[key])
                redacted += count
    return redacted


def redact_stored_result(
    context: Any, identifier: Any, validation_result: Any, personal: Collection[str]
) -> int:
    """Redact one validation result and, when anything changed, store it again under its identifier."""
    redacted = redact_results(validation_result.results, personal)
    if redacted:
        context.validation_results_store.set(identifier, validation_result)
    return redacted
