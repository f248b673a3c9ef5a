"""Bronze -> silver: standardize columns as the contract declares, dedup on the natural key, suppress."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from customer_platform.suppression import suppression_prefix
from spark_jobs.contracts import OCCURRENCE_COLUMN, SilverColumn, SourceContract
from spark_jobs.transforms.standardize import (
    amount_in_base,
    country_code,
    lower,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    salted_sha256,
    sha256_hex,
    strip,
    title_case,
    upper,
)

_SUPPRESSION_KEY = "_suppression_key"

#: Lineage columns carried onto every silver row (docs/contracts.md).
SILVER_LINEAGE = ("_source_file", "_ingest_date", "_run_id", "_ingested_at")


@dataclass(frozen=True)
class SilverContext:
    """Run-level inputs of the standardizers (from configuration, not from the data)."""

    salt: str
    fx_rates: dict[str, float] = field(default_factory=dict)  # currency -> base-currency multiplier


def _of(column: SilverColumn) -> Column:
    return F.col(column.args.get("of", column.name))


def _arg(column: SilverColumn, name: str) -> Column:
    if name not in column.args:
        raise ValueError(f"silver column {column.name!r} ({column.std}) needs argument {name!r}")
    return F.col(column.args[name])


def _phone(column: SilverColumn, _: SilverContext) -> Column:
    country = country_code(_arg(column, "country")) if "country" in column.args else None
    return normalize_phone(_of(column), country)


#: Standardizer vocabulary of the contracts' `silver.columns` (`std:` names).
STANDARDIZERS: dict[str, Callable[[SilverColumn, SilverContext], Column]] = {
    "copy": lambda c, ctx: _of(c),
    "trim": lambda c, ctx: strip(_of(c)),
    "lower": lambda c, ctx: lower(_of(c)),
    "upper": lambda c, ctx: upper(_of(c)),
    "title": lambda c, ctx: title_case(_of(c)),
    "email": lambda c, ctx: normalize_email(_of(c)),
    "phone": _phone,
    "postcode": lambda c, ctx: normalize_postcode(_of(c)),
    "country": lambda c, ctx: country_code(_of(c)),
    "salted_sha256": lambda c, ctx: salted_sha256(_of(c), ctx.salt),
    "sha256": lambda c, ctx: sha256_hex(_of(c)),
    "amount_in_base": lambda c, ctx: amount_in_base(
        _arg(c, "quantity"), _arg(c, "price"), _arg(c, "currency"), ctx.fx_rates
    ),
    # Contract-authored Spark SQL over the row's columns (repository config, not user input).
    "expr": lambda c, ctx: F.expr(c.args["expr"]),
    "const": lambda c, ctx: F.lit(c.args.get("value")),
}


def _references(column: SilverColumn) -> set[str]:
    names = {v for k, v in column.args.items() if k not in ("expr", "value", "type") and isinstance(v, str)}
    names.add(column.args.get("of", column.name))
    if column.std == "expr":
        names |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", column.args.get("expr", "")))
    return names


def standardize(bronze: DataFrame, contract: SourceContract, ctx: SilverContext) -> DataFrame:
    """Add the contract's silver columns in order; each may use the columns defined before it.

    Columns are added in as few projections as their dependencies allow: one `withColumns`
    per wave instead of one `withColumn` each keeps planning time flat.
    """
    df, wave = bronze, {}
    for column in contract.silver_columns:
        if _references(column) & (set(wave) - {column.name}) or column.name in wave:
            df, wave = df.withColumns(wave), {}
        value = STANDARDIZERS[column.std](column, ctx)
        if "type" in column.args:
            value = value.cast(column.args["type"])
        wave[column.name] = value
    return df.withColumns(wave) if wave else df


def deduplicate(df: DataFrame, natural_key: tuple[str, ...], latest_by: str | None) -> DataFrame:
    """One row per natural key per ingest date: the latest `latest_by` wins, then the last line.

    Exact duplicate lines share their key, so they collapse here too.
    """
    order = [F.col(latest_by).desc_nulls_last()] if latest_by else []
    order += [F.col("_source_file").desc(), F.col("_line_number").desc()]
    window = Window.partitionBy("ingest_date", *natural_key).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def number_repeats(df: DataFrame, natural_key: tuple[str, ...]) -> DataFrame:
    """`duplicates: keep`: every row stays; repeats of a key in a delivery are numbered 1, 2, ...

    The number is the row's place among its key's repeats in file order, so a re-delivery of
    the same rows on a later date gets the same numbers and replaces them downstream.
    """
    window = Window.partitionBy("ingest_date", *natural_key).orderBy("_source_file", "_line_number")
    return df.withColumn(OCCURRENCE_COLUMN, F.row_number().over(window))


def suppress(df: DataFrame, suppression: DataFrame | None) -> DataFrame:
    """Drop rows whose email_hash / phone_hash / customer_id (any column shared) has a listed suppression key."""
    if suppression is None:
        return df
    prefix = F.lit(suppression_prefix())
    for name in suppression.columns:
        if name not in df.columns:
            continue
        listed = (
            suppression.select(F.col(name).alias(_SUPPRESSION_KEY)).where(F.col(name).isNotNull()).distinct()
        )
        keyed = df.withColumn(_SUPPRESSION_KEY, F.sha2(F.concat(prefix, strip(F.col(name))), 256))
        df = keyed.join(F.broadcast(listed), on=_SUPPRESSION_KEY, how="left_anti").drop(_SUPPRESSION_KEY)
    return df


def silver_columns(contract: SourceContract) -> list[str]:
    """Silver output columns: the contract's, the repeat number if kept, then lineage (not the partition)."""
    repeats = [OCCURRENCE_COLUMN] if contract.duplicates == "keep" else []
    return [c.name for c in contract.silver_columns] + repeats + list(SILVER_LINEAGE)


def to_silver(
    bronze: DataFrame, contract: SourceContract, ctx: SilverContext, suppression: DataFrame | None = None
) -> DataFrame:
    """Valid bronze rows (with `ingest_date`) -> silver rows keeping `ingest_date` for partitioning."""
    if contract.duplicates == "keep":
        dedup = number_repeats(bronze.transform(standardize, contract, ctx), contract.natural_key)
    else:
        dedup = bronze.transform(standardize, contract, ctx).transform(
            deduplicate, contract.natural_key, contract.latest_by
        )
    return dedup.transform(suppress, suppression).select(*silver_columns(contract), "ingest_date")
