"""Crash safety: a run that dies mid-publish never exposes half-written partitions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from spark_jobs.ingest import ingest_dates, ingest_source
from tests.spark_jobs.lake import leftovers, partition_checksums, read_table
from tests.spark_jobs.landing_files import valid_rows, write_drop

D1, D2 = "2026-06-02", "2026-06-03"
REPO = Path(__file__).resolve().parents[2]
PUBLISH = (
    "import sys, pathlib; from spark_jobs import lakehouse; "
    "lakehouse.publish_partitions(pathlib.Path(sys.argv[1]), sys.argv[2], [sys.argv[3]])"
)


def test_failure_between_renames_puts_the_old_partition_back(spark, isolated_settings, monkeypatch):
    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", D2, valid_rows("web_orders", 4))
    ingest_source("web_orders", D2, spark=spark)
    table = s.silver_dir / "web_order_lines"
    before = partition_checksums(table)
    write_drop(s.landing_dir, "web_orders", D2, valid_rows("web_orders", 9))
    monkeypatch.setenv("CDP_FAILPOINTS", "between_renames:silver=raise")
    with pytest.raises(RuntimeError, match="failpoint between_renames:silver"):
        ingest_source("web_orders", D2, spark=spark)
    assert partition_checksums(table) == before
    assert len(read_table(table)) == 4 and leftovers(s.lakehouse_dir) == []


def test_killed_process_mid_swap_is_recovered_by_the_next_run(spark, isolated_settings):
    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", D1, valid_rows("web_orders", 3))
    write_drop(s.landing_dir, "web_orders", D2, valid_rows("web_orders", 5, start=10))
    ingest_dates("web_orders", [D1, D2], spark=spark)
    table = s.silver_dir / "web_order_lines"
    before = partition_checksums(table)
    # A run staged a new D2 partition and is swapping it in when it is killed (SIGKILL).
    token = "killed-run.0000abcd"
    shutil.copytree(table / f"ingest_date={D1}", table / "_staging" / token / f"ingest_date={D2}")
    env = {**os.environ, "CDP_FAILPOINTS": "between_renames:silver", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISH, str(table), token, D2],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:
            if "FAILPOINT between_renames:silver" in line:
                break
        proc.kill()
        proc.wait()
    finally:
        watchdog.cancel()
    assert proc.returncode == -9
    # Killed between the two renames: the old D2 is aside, the new one not in. Readers see
    # D1 only (no error, nothing from _staging or _trash).
    assert not (table / f"ingest_date={D2}").exists()
    assert {str(r["ingest_date"]) for r in read_table(table)} == {D1}
    assert (table / "_trash" / token / f"ingest_date={D2}").is_dir()

    ingest_source("web_orders", D1, spark=spark)  # the next run, for another date

    assert partition_checksums(table)[f"ingest_date={D2}"] == before[f"ingest_date={D2}"]
    assert leftovers(s.lakehouse_dir) == []
    again = ingest_source("web_orders", D2, spark=spark)
    assert again["rows_silver"] == 5 and len(read_table(table)) == 8
