"""Marts expectations in DuckDB SQL: which rows one expectation finds unexpected, and its GX-shaped result.

The incremental marts gate (`expectations.marts_increment`) uses these to check an expectation
over a whole table in SQL (uniqueness; row-level checks on columns that move with the date)
and to know which rows failed a row-level check, so that those rows are validated again the
next night. The semantics follow GX's pandas engine on the frame the gate would validate:
nulls (and NaN in floating columns) are missing values, which only the null checks look at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

#: Expectations of one row's value (GX "map" expectations) that this module can express in SQL.
ROW_LEVEL = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
)
#: Expectations over the whole column, computed in SQL on the whole table.
WHOLE_TABLE = ("expect_column_values_to_be_unique",)
#: Expectations about the frame's schema: any batch with the frame's columns answers them.
SCHEMA = ("expect_column_to_exist",)
#: Arguments the SQL translation understands (anything else validates the suite in full).
KNOWN_KWARGS = frozenset(
    {"column", "value_set", "min_value", "max_value", "strict_min", "strict_max", "regex", "mostly"}
)
FLOATING = ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8")
EXAMPLES = 3


def quoted(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + str(name).replace('"', '""') + '"'


def missing(column: str, column_type: str) -> str:
    """SQL that is true where GX's pandas engine sees a missing value (null, or NaN in a float column)."""
    name = quoted(column)
    if column_type.upper() in FLOATING:
        return f"({name} is null or isnan({name}))"
    return f"({name} is null)"


def expressible(expectation_type: str, kwargs: Mapping[str, Any]) -> bool:
    """Whether `unexpected_sql` can express this expectation exactly."""
    if expectation_type not in ROW_LEVEL + WHOLE_TABLE or not kwargs.get("column"):
        return False
    if set(kwargs) - KNOWN_KWARGS:
        return False
    if expectation_type == "expect_column_values_to_be_between":
        return kwargs.get("min_value") is not None or kwargs.get("max_value") is not None
    return True


def unexpected_sql(
    expectation_type: str, kwargs: Mapping[str, Any], column_type: str
) -> tuple[str, list[Any]]:
    """(SQL predicate true for an unexpected row, its parameters) of a row-level expectation."""
    column = str(kwargs["column"])
    name, absent = quoted(column), missing(column, column_type)
    if expectation_type == "expect_column_values_to_not_be_null":
        return absent, []
    if expectation_type == "expect_column_values_to_be_null":
        return f"not {absent}", []
    if expectation_type == "expect_column_values_to_be_in_set":
        values = list(kwargs.get("value_set") or [])
        if not values:
            return f"not {absent}", []
        marks = ", ".join("?" for _ in values)
        return f"(not {absent} and {name} not in ({marks}))", values
    if expectation_type == "expect_column_values_to_be_between":
        return _between(name, absent, kwargs)
    if expectation_type == "expect_column_values_to_match_regex":
        return f"(not {absent} and not regexp_matches(cast({name} as varchar), ?))", [kwargs["regex"]]
    raise ValueError(f"{expectation_type} is not a row-level expectation")


def _between(name: str, absent: str, kwargs: Mapping[str, Any]) -> tuple[str, list[Any]]:
    bounds, params = [], []
    if kwargs.get("min_value") is not None:
        bounds.append(f"{name} {'>' if kwargs.get('strict_min') else '>='} ?")
        params.append(kwargs["min_value"])
    if kwargs.get("max_value") is not None:
        bounds.append(f"{name} {'<' if kwargs.get('strict_max') else '<='} ?")
        params.append(kwargs["max_value"])
    return f"(not {absent} and not ({' and '.join(bounds)}))", params


def duplicates_sql(column: str, column_type: str, table: str) -> tuple[str, str]:
    """(count query, examples query) of the rows whose non-missing `column` value occurs more than once."""
    name = quoted(column)
    dup = (
        f"select {name} as value from {table} where not {missing(column, column_type)} "
        f"group by {name} having count(*) > 1"
    )
    count = f"select count(*) from {table} where {name} in ({dup})"
    examples = f"select {name} from {table} where {name} in ({dup}) limit {EXAMPLES}"
    return count, examples


def passes(unexpected: int, nonmissing: int, mostly: float | None) -> bool:
    """GX's verdict of a map expectation from its counts (`mostly`: the share of values that must pass)."""
    if mostly is None:
        return unexpected == 0
    return nonmissing == 0 or (nonmissing - unexpected) / nonmissing >= mostly


def shaped_result(
    expectation_type: str,
    element_count: int,
    missing_count: int,
    unexpected_count: int,
    examples: Sequence[Any],
) -> dict[str, Any]:
    """A result dict in the shape GX's SUMMARY format gives a map expectation."""
    result: dict[str, Any] = {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "partial_unexpected_list": list(examples),
        "partial_unexpected_counts": _example_counts(examples),
        "partial_unexpected_index_list": [],
    }
    if expectation_type == "expect_column_values_to_not_be_null":
        result["unexpected_percent"] = _percent(unexpected_count, element_count)
        return result
    return rescaled(result, element_count, missing_count)


def rescaled(result: dict[str, Any], element_count: int, missing_count: int | None) -> dict[str, Any]:
    """The result with its counts and shares over `element_count` rows (`missing_count` missing)."""
    unexpected = int(result.get("unexpected_count") or 0)
    result["element_count"] = element_count
    if missing_count is None:  # the not-null check: every row counts
        result["unexpected_percent"] = _percent(unexpected, element_count)
        return result
    nonmissing = element_count - missing_count
    result.update(
        missing_count=missing_count,
        missing_percent=_percent(missing_count, element_count),
        unexpected_percent=_percent(unexpected, nonmissing),
        unexpected_percent_total=_percent(unexpected, element_count),
        unexpected_percent_nonmissing=_percent(unexpected, nonmissing),
    )
    return result


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _example_counts(examples: Sequence[Any]) -> list[dict[str, Any]]:
    counts = Counter(examples)
    return [{"value": value, "count": n} for value, n in counts.most_common()]
