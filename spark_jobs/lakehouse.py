"""Spark side of the lakehouse: staging partitions written by Spark, the suppression list as a DataFrame.

The crash-safe swap itself is Spark-free and lives in `customer_platform.partitions`.
"""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StringType, StructField, StructType

from customer_platform.partitions import (
    OWNER_FILE,
    STAGING,
    TRASH,
    begin,
    end,
    failpoint,
    parquet_rows,
    publish_partitions,
    recover,
    recover_lake,
    write_manifest,
    write_owner,
)
from customer_platform.suppression import read_suppression_entries

__all__ = [
    "OWNER_FILE",
    "STAGING",
    "TRASH",
    "begin",
    "end",
    "failpoint",
    "parquet_rows",
    "publish_partitions",
    "read_suppression_list",
    "recover",
    "recover_lake",
    "stage_partitions",
    "write_manifest",
]


def stage_partitions(df: DataFrame, table_dir: Path, token: str, dates: list[str]) -> Path:
    """Write `df` (with an `ingest_date` column) as staged partitions; every date gets a folder.

    Dates without rows get a schema-only Parquet file, so re-running a date that now has
    no rows still replaces the old partition and readers always find the schema.
    """
    staging = table_dir / STAGING / token
    write_owner(staging, token, dates)
    df.write.mode("append").partitionBy("ingest_date").parquet(str(staging))
    data_schema = df.drop("ingest_date").schema
    for ingest_date in dates:
        part = staging / f"ingest_date={ingest_date}"
        if not part.exists():
            df.sparkSession.createDataFrame([], data_schema).write.parquet(str(part))
    for junk in [*staging.rglob("_SUCCESS"), *staging.rglob(".*.crc")]:
        junk.unlink()
    return staging


def read_suppression_list(
    spark: SparkSession, legacy_path: Path | None = None, keys_path: Path | None = None
) -> DataFrame | None:
    """The erasure suppression list as suppression keys, one column per identity column; None if empty.

    Reads the keyed list and any legacy plain-value list (`customer_platform.suppression`);
    small, so it is built from Python rows.
    """
    header, rows = read_suppression_entries(keys_path, legacy_path)
    if not rows:
        return None
    schema = StructType([StructField(name, StringType()) for name in header])
    return spark.createDataFrame([tuple(row.get(c) or None for c in header) for row in rows], schema)
