"""Scale-out mode: nightly ingestion submits a Spark application instead of running in-process."""

from __future__ import annotations

import sys

import pytest

from customer_platform.config import reload_settings

DAY = "2026-06-01"


@pytest.mark.parametrize(
    ("master", "mode", "expected"),
    [
        ("local[*]", "auto", False),
        ("spark://spark-master:7077", "auto", True),
        ("local[2]", "always", True),
        ("spark://spark-master:7077", "never", False),
    ],
)
def test_submit_mode_follows_the_master_unless_forced(monkeypatch, master, mode, expected):
    monkeypatch.setenv("SPARK_MASTER", master)
    monkeypatch.setenv("CDP_SPARK_SUBMIT", mode)
    try:
        assert reload_settings().uses_spark_submit is expected
    finally:
        monkeypatch.undo()
        reload_settings()


def test_an_unknown_submit_mode_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("CDP_SPARK_SUBMIT", "sometimes")
    try:
        with pytest.raises(ValueError, match="CDP_SPARK_SUBMIT"):
            reload_settings()
    finally:
        monkeypatch.undo()
        reload_settings()


def test_the_command_submits_the_ingestion_job_to_the_configured_master(monkeypatch):
    from spark_jobs import ingest
    from spark_jobs.submit import spark_submit_command

    monkeypatch.setenv("SPARK_MASTER", "spark://spark-master:7077")
    monkeypatch.setenv("CDP_SPARK_JAVA_OPTIONS", "-XX:+UseSerialGC -Dcdp.probe=1")
    try:
        command = spark_submit_command("web_orders", DAY, "scheduled__x", reload_settings())
    finally:
        monkeypatch.undo()
        reload_settings()
    assert command[0].endswith("spark-submit")
    assert command[command.index("--master") + 1] == "spark://spark-master:7077"
    # JVM flags reach the submitted driver (its JVM is started by spark-submit) and the executors.
    assert command[command.index("--driver-java-options") + 1] == "-XX:+UseSerialGC -Dcdp.probe=1"
    assert "spark.executor.extraJavaOptions=-XX:+UseSerialGC -Dcdp.probe=1" in command
    assert command[command.index("--deploy-mode") + 1] == "client"
    assert f"spark.pyspark.python={sys.executable}" in command
    assert command[command.index(ingest.__file__) + 1 :] == [
        "--source",
        "web_orders",
        "--date",
        DAY,
        "--run-id",
        "scheduled__x",
    ]


@pytest.fixture()
def submit_settings(isolated_settings, monkeypatch):
    from datagen.cli import main as datagen_main

    argv = [
        "generate",
        "--customers",
        "20",
        "--start",
        DAY,
        "--end",
        DAY,
        "--sources",
        "email_engagement",
        "--out",
        str(isolated_settings.landing_dir),
        "--no-progress",
    ]
    assert datagen_main(argv) == 0
    monkeypatch.setenv("CDP_SPARK_SUBMIT", "always")
    monkeypatch.setenv("SPARK_MASTER", "local[1]")
    return reload_settings()


def test_a_nightly_ingestion_task_runs_as_a_submitted_application(submit_settings):
    from cdp.tasks import run_ingestion

    counts = run_ingestion("email_engagement", DAY, "scheduled__submit")

    assert counts["run_id"] == "scheduled__submit" and counts["status"] == "ok"
    assert counts["rows_read"] > 0
    assert counts["rows_read"] == counts["rows_bronze"] + counts["rows_quarantined"]
    silver = submit_settings.silver_dir / "email_events" / f"ingest_date={DAY}"
    assert any(silver.glob("*.parquet")), "the submitted job published silver"


def test_a_failed_application_raises_with_its_exit_code_and_stderr(submit_settings):
    from spark_jobs.submit import SparkSubmitFailed, submit_ingestion

    with pytest.raises(SparkSubmitFailed, match=r"exited 2(.|\n)*--source"):
        submit_ingestion("no_such_source", DAY, "scheduled__submit")


def test_the_in_process_driver_runs_with_the_configured_jvm_flags(spark):
    from customer_platform.config import get_settings

    # The running JVM's own arguments, not the configuration echoed back.
    arguments = list(
        spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    for flag in get_settings().spark_java_options.split():
        assert flag in arguments, f"{flag} missing from the driver JVM's arguments {arguments}"
