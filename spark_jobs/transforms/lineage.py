"""Lineage columns every bronze and silver row carries (docs/contracts.md)."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def add_lineage(df: DataFrame, run_id: str, ingested_at: datetime) -> DataFrame:
    """Add `_ingest_date` (from the `ingest_date` partition value), `_run_id` and `_ingested_at`.

    `_source_file` is already set by the reader; `ingested_at` should be timezone-aware UTC.
    """
    return df.select(
        "*",
        F.to_date("ingest_date").alias("_ingest_date"),
        F.lit(run_id).alias("_run_id"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
    )
