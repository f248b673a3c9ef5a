"""One SparkSession per process, configured from `customer_platform.config` (shared by ingestion and the silver gate)."""

from __future__ import annotations

import os
import sys

from customer_platform.config import get_settings
from customer_platform.env_values import env_flag


def get_spark(app_name: str = "customer-platform"):
    """Return the process-wide SparkSession, creating it on first use.

    The master comes from configuration (`SPARK_MASTER`, `local[*]` by default), so the
    same jobs run in-process on a laptop or against a standalone cluster.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active  # its JVM flags and static settings are fixed; only runtime ones could change
    settings = get_settings()
    # Workers must run the same interpreter as the driver (the project's virtualenv).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder
    # Under spark-submit (it hands the driver a gateway) the application already has its name,
    # `--name ingest_<source>_<date>`: keep it, so the cluster's UI tells the submissions apart.
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.appName(app_name)
    builder = (
        builder.master(settings.spark_master)
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.parquet.compression.codec", "zstd")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "false")
        # Lakehouse files hold personal data: owner-only. Hadoop's file systems set modes from
        # this setting (default 022), not from the process umask.
        .config("spark.hadoop.fs.permissions.umask-mode", "077")
        # JVM flags apply when this call starts the driver JVM (in-process runs); under
        # spark-submit the driver's come from --driver-java-options (spark_jobs/submit.py).
        .config("spark.driver.extraJavaOptions", settings.spark_java_options)
        .config("spark.executor.extraJavaOptions", settings.spark_java_options)
        # Ingestion caches each parsed drop for a few passes only: building the cache's
        # per-column compression statistics costs more than the memory it saves.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
    )
    if not env_flag("CDP_SPARK_UI"):
        builder = builder.config("spark.ui.enabled", "false")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
