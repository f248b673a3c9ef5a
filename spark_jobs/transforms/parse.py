"""Parse raw landing lines against a source contract: typed columns plus a `_reason` per bad row.

Input: one row per physical line (`value`, `_source_file`, any pass-through columns).
Output: the same rows with the contract's typed columns, `_raw_line` and `_reason`
(null when the row is valid). Nothing is dropped here, so read = bronze + quarantine.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from spark_jobs.contracts import FieldSpec, SourceContract, spark_type
from spark_jobs.transforms.standardize import parse_boolean, strip

_INT_RE = r"^[+-]?[0-9]+$"
_DECIMAL_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_ISO_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_TS_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
_OFFSET_RE = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_CORRUPT = "_corrupt_record"
_SHOWN_CHARS = 60  # a reason quotes at most this much of the offending value


@dataclass(frozen=True)
class FileLayout:
    """Where each contract field sits in one file (from its header or JSON keys).

    `columns` maps a contract field to its 0-based CSV position or its JSON key; fields
    absent from the file are missing from the mapping. `width` is the header's column
    count (CSV only).
    """

    columns: Mapping[str, Any] = field(default_factory=dict)
    width: int = 0
    missing_required: tuple[str, ...] = ()


def _by_file(
    layouts: Mapping[str, FileLayout],
    pick: Callable[[FileLayout], Any],
    build: Callable[[Any], Column | None],
) -> Column:
    """One expression per distinct layout value; a CASE on `_source_file` only when files differ."""
    groups: dict[Any, list[str]] = {}
    for name, layout in layouts.items():
        groups.setdefault(pick(layout), []).append(name)
    if not groups:
        return F.lit(None)
    if len(groups) == 1:
        (value,) = groups
        built = build(value)
        return built if built is not None else F.lit(None)
    expr: Any = F
    for value, files in groups.items():
        built = build(value)
        expr = expr.when(F.col("_source_file").isin(files), built if built is not None else F.lit(None))
    return expr


def _split_pattern(delimiter: str) -> str:
    """A regex matching `delimiter` literally, in the form Java's String.split takes without
    compiling a Pattern (one character, backslash-escaped when it is a regex metacharacter).

    Spark's `split` calls String.split per row: a `\\Q...\\E` pattern would be compiled for every line.
    """
    if len(delimiter) == 1:
        return "\\" + delimiter if delimiter in ".$|()[{^?*+\\" else delimiter
    return r"\Q" + delimiter + r"\E"


def _structural_csv(contract: SourceContract, layouts: Mapping[str, FileLayout]) -> Column:
    unquoted = F.col("_unquoted")  # the line without its quoted sections
    count = F.size("_parts")  # `_unquoted` split on the delimiter
    width = _by_file(layouts, lambda lay: lay.width, F.lit)
    missing = _missing_columns(layouts)
    return (
        F.when(~F.col("_utf8"), F.lit("undecodable bytes"))
        .when(F.col("_blank"), F.lit("empty line"))
        .when(unquoted.contains('"'), F.lit("unbalanced quotes"))
        .when(missing.isNotNull(), missing)
        .when(
            count != width,
            F.concat(F.lit("column count "), count.cast("string"), F.lit(" != "), width.cast("string")),
        )
    )


def _missing_columns(layouts: Mapping[str, FileLayout]) -> Column:
    def message(missing: tuple[str, ...]) -> Column | None:
        if not missing:
            return None
        return F.lit(f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")

    return _by_file(layouts, lambda lay: lay.missing_required, message)


def _structural_json(layouts: Mapping[str, FileLayout]) -> Column:
    missing = _missing_columns(layouts)
    return (
        F.when(~F.col("_utf8"), F.lit("undecodable bytes"))
        .when(F.col("_blank"), F.lit("empty line"))
        .when(F.col(f"_fields.{_CORRUPT}").isNotNull(), F.lit("malformed JSON"))
        .when(missing.isNotNull(), missing)
    )


def _split_fields(contract: SourceContract, layouts: Mapping[str, FileLayout]) -> tuple[Column, Callable]:
    """The parsed-record struct and a function giving a field's raw string from it."""
    if contract.format == "csv":
        width = max([lay.width for lay in layouts.values()] + [1])
        schema = ", ".join(f"_c{i} string" for i in range(width))
        quoted = F.from_csv(F.col("_clean"), schema, {"sep": contract.delimiter, "escape": '"'})
        # A line without quotes is its split parts: the CSV parser is needed only for quotes.
        plain = F.struct(*[F.nullif(F.col("_parts")[i], F.lit("")).alias(f"_c{i}") for i in range(width)])
        parsed = F.when(F.col("_has_quote"), quoted).otherwise(plain)
        return parsed, lambda pos: None if pos is None else F.col(f"_fields._c{pos}")
    keys = sorted({key for lay in layouts.values() for key in lay.columns.values()})
    # A StructType, not DDL text: JSON keys may contain any character.
    schema = StructType([StructField(k, StringType()) for k in [*keys, _CORRUPT]])
    parsed = F.from_json(F.col("_clean"), schema, {"columnNameOfCorruptRecord": _CORRUPT})
    return parsed, lambda key: None if key is None else F.col("_fields").getField(key)


def _to_timestamp(text: Column, spec: FieldSpec, timezone: str) -> Column:
    if spec.formats:
        parsed = F.coalesce(*[F.try_to_timestamp(text, F.lit(fmt)) for fmt in spec.formats])
        has_offset = any(letter in fmt for fmt in spec.formats for letter in "XxZO")
        naive = ~F.lit(has_offset)
    else:
        parsed = F.when(text.rlike(_ISO_TS_RE), text.try_cast("timestamp"))
        naive = ~text.rlike(_OFFSET_RE)
    if timezone.upper() == "UTC":
        return parsed
    # The session time zone is UTC, so a naive value was read as UTC wall-clock time:
    # reinterpret it as the source's local time.
    return F.when(naive, F.to_utc_timestamp(parsed, timezone)).otherwise(parsed)


def _to_date(text: Column, spec: FieldSpec) -> Column:
    if spec.formats:
        return F.coalesce(*[F.try_to_date(text, fmt) for fmt in spec.formats])
    return F.when(text.rlike(_ISO_DATE_RE), text.try_cast("date"))


def typed_value(raw: Column, spec: FieldSpec, timezone: str, text: Column | None = None) -> Column:
    """`raw` converted to the field's type; null when empty or unparseable.

    `text` is `strip(raw)` when the caller has already computed it.
    """
    text = strip(raw) if text is None else text
    converters: dict[str, Callable[[], Column]] = {
        "string": lambda: F.when(text.isNotNull(), raw),  # keep the value as delivered
        "int": lambda: F.when(text.rlike(_INT_RE), text.try_cast("int")),
        "long": lambda: F.when(text.rlike(_INT_RE), text.try_cast("long")),
        "double": lambda: F.when(text.rlike(_DECIMAL_RE), text.try_cast("double")),
        "boolean": lambda: parse_boolean(text),
        "date": lambda: _to_date(text, spec),
        "timestamp": lambda: _to_timestamp(text, spec, timezone),
    }
    return converters[spec.type]().cast(spark_type(spec))


def _quoted(text: Column) -> Column:
    return F.concat(F.lit("'"), F.substring(text, 1, _SHOWN_CHARS), F.lit("'"))


def field_reasons(spec: FieldSpec) -> list[Column]:
    """Reasons the field makes its row invalid (null entries when it is fine)."""
    text, value = F.col(f"_text__{spec.name}"), F.col(spec.name)
    reasons = [
        F.when(
            text.isNotNull() & value.isNull(),
            F.concat(F.lit(f"unparseable {spec.type} in {spec.name}: "), _quoted(text)),
        )
    ]
    if spec.required:
        reasons.append(F.when(text.isNull(), F.lit(f"required field {spec.name} is empty")))
    # limit, the comparison that breaks it, and how the reason states the rule
    bounds = [(spec.gt, operator.le, ">"), (spec.ne, operator.eq, "!="),
              (spec.min, operator.lt, ">="), (spec.max, operator.gt, "<=")]  # fmt: skip
    for limit, breaks, sign in bounds:
        if limit is not None:
            label = F.lit(f"{spec.name} must be {sign} {limit:g}: ")
            reasons.append(F.when(breaks(value, limit), F.concat(label, value.cast("string"))))
    if spec.negative_only_when is not None:
        other, statuses = spec.negative_only_when
        status = F.col(f"_text__{other}")
        reasons.append(
            F.when(
                (value < 0) & (status.isNull() | ~F.upper(status).isin([v.upper() for v in statuses])),
                F.concat(
                    F.lit(f"{spec.name} may be negative only when {other} is one of [{', '.join(statuses)}]: "),
                    value.cast("string"), F.lit(f" with {other} "), F.coalesce(_quoted(status), F.lit("empty")),
                ),
            )
        )  # fmt: skip
    if spec.allowed:
        known = [v.upper() for v in spec.allowed]
        reasons.append(
            F.when(
                value.isNotNull() & ~F.upper(text).isin(known),
                F.concat(F.lit(f"{spec.name} must be one of [{', '.join(spec.allowed)}]: "), _quoted(text)),
            )
        )
    if spec.pattern:
        reasons.append(
            F.when(
                value.isNotNull() & ~text.rlike(spec.pattern),
                F.concat(F.lit(f"{spec.name} does not match {spec.pattern}: "), _quoted(text)),
            )
        )
    return reasons


def parse_lines(lines: DataFrame, contract: SourceContract, layouts: Mapping[str, FileLayout]) -> DataFrame:
    """Typed contract columns, `_raw_line` and `_reason` for every line (header lines excluded upstream)."""
    passthrough = [c for c in lines.columns if c != "value"]
    parsed, raw_of = _split_fields(contract, layouts)
    # Each step is its own projection so no expensive expression is evaluated twice.
    staged = lines.select(
        *passthrough, F.make_valid_utf8("value").alias("_raw_line"), F.is_valid_utf8("value").alias("_utf8")
    )
    # A byte-order mark only ever sits at the start of a file's first line.
    line = F.col("_raw_line")
    staged = staged.select(
        "*", F.when(line.startswith("\ufeff"), F.substring(line, 2, 1 << 30)).otherwise(line).alias("_clean")
    )
    if contract.format == "csv":
        has_quote = F.col("_clean").contains('"')
        unquoted = F.when(has_quote, F.regexp_replace("_clean", '"[^"]*"', "")).otherwise(F.col("_clean"))
        staged = staged.select("*", has_quote.alias("_has_quote"), unquoted.alias("_unquoted"))
        staged = staged.select(
            "*", F.split("_unquoted", _split_pattern(contract.delimiter), -1).alias("_parts")
        )
    staged = staged.select("*", parsed.alias("_fields"), strip(F.col("_clean")).isNull().alias("_blank"))
    raws = [
        _by_file(layouts, lambda lay, name=spec.name: lay.columns.get(name), raw_of).alias(
            f"_raw__{spec.name}"
        )
        for spec in contract.fields
    ]
    structural = _structural_csv(contract, layouts) if contract.format == "csv" else _structural_json(layouts)
    staged = staged.select("*", *raws, structural.alias("_structural"))
    # Stripped once per field: conversions and reasons all read it (fewer expressions to plan).
    staged = staged.select(
        "*", *[strip(F.col(f"_raw__{s.name}")).alias(f"_text__{s.name}") for s in contract.fields]
    )
    typed = staged.select(
        "*",
        *[
            typed_value(F.col(f"_raw__{s.name}"), s, contract.timezone, F.col(f"_text__{s.name}")).alias(
                s.name
            )
            for s in contract.fields
        ],
    )
    reasons = [r for spec in contract.fields for r in field_reasons(spec)]
    for group in contract.require_one_of:
        absent = [F.col(f"_text__{name}").isNull() for name in group]
        all_absent = absent[0]
        for condition in absent[1:]:
            all_absent = all_absent & condition
        reasons.append(F.when(all_absent, F.lit(f"one of {', '.join(group)} is required")))
    reason = F.coalesce(F.col("_structural"), F.nullif(F.concat_ws("; ", *reasons), F.lit("")))
    return typed.select(*passthrough, *contract.field_names, "_raw_line", reason.alias("_reason"))
