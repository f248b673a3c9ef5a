"""Ingestion as its own Spark application: `spark-submit` to the configured master.

On one machine the nightly tasks run Spark in-process (`local[*]`). Scaled out, a task
submits `spark_jobs/ingest.py` to the cluster instead (client deploy mode: the driver runs
beside the task, executors on the workers) and reads the manifest the job wrote. The job,
its arguments and its outputs are the same either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from customer_platform.config import Settings, get_settings

#: Lines of the application's output quoted in the error when it fails.
STDERR_TAIL_LINES = 40


class SparkSubmitFailed(RuntimeError):
    """The submitted ingestion application exited non-zero."""


def spark_submit_executable() -> str:
    """`spark-submit` of this interpreter's environment (pyspark installs it beside python)."""
    candidate = Path(sys.executable).with_name("spark-submit")
    return str(candidate) if candidate.exists() else "spark-submit"


def spark_submit_command(source: str, ds: str, run_id: str, settings: Settings | None = None) -> list[str]:
    """The `spark-submit` command line that ingests one source's drop for one date."""
    from spark_jobs import ingest

    settings = settings or get_settings()
    return [
        spark_submit_executable(),
        "--master",
        settings.spark_master,
        "--deploy-mode",
        "client",
        "--name",
        f"ingest_{source}_{ds}",
        "--driver-memory",
        settings.spark_driver_memory,
        "--driver-java-options",
        settings.spark_java_options,
        "--conf",
        f"spark.executor.extraJavaOptions={settings.spark_java_options}",
        "--conf",
        f"spark.sql.shuffle.partitions={settings.spark_shuffle_partitions}",
        "--conf",
        f"spark.pyspark.python={sys.executable}",
        "--conf",
        f"spark.pyspark.driver.python={sys.executable}",
        ingest.__file__,
        "--source",
        source,
        "--date",
        ds,
        "--run-id",
        run_id,
    ]


def submit_environment(settings: Settings | None = None) -> dict[str, str]:
    """The task's environment plus the platform settings, for the submitted driver."""
    import pyspark

    settings = settings or get_settings()
    env = dict(os.environ)
    env.update(settings.as_env())
    # pyspark's launcher script finds Spark with whatever `python3` is first on PATH; name it.
    env.setdefault("SPARK_HOME", str(Path(pyspark.__file__).parent))
    # The job runs as a script: its own folder must not shadow top-level modules.
    env["PYTHONSAFEPATH"] = "1"
    env["CDP_SPARK_SUBMIT"] = "never"  # the submitted driver itself runs in-process
    return env


def read_manifest(source: str, ds: str, settings: Settings | None = None) -> dict[str, Any]:
    """The manifest the ingestion job wrote for one source and date."""
    settings = settings or get_settings()
    path = settings.manifest_path(source, ds)
    if not path.is_file():
        raise SparkSubmitFailed(f"ingestion of {source} for {ds} wrote no manifest at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def submit_ingestion(source: str, ds: str, run_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Run one source's ingestion for a date as a Spark application; return its manifest.

    Raises SparkSubmitFailed with the exit code and the tail of the application's output
    (exit 1 is the quarantine-rate breach, whose message names the rate).
    """
    settings = settings or get_settings()
    process = subprocess.run(
        spark_submit_command(source, ds, run_id, settings),
        # The Python driver's own stderr reaches spark-submit's stdout: read one stream.
        env=submit_environment(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        tail = "\n".join(process.stdout.splitlines()[-STDERR_TAIL_LINES:])
        raise SparkSubmitFailed(
            f"spark-submit of {source} for {ds} to {settings.spark_master} exited {process.returncode}:\n{tail}"
        )
    return read_manifest(source, ds, settings)
