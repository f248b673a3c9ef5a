"""Crash safety: a run that dies mid-publish never exposes half-written partitions, nor leaves a hole.

A publish is killed (SIGKILL, in a subprocess paused at a fail point) at every step of the
partition swap; the start-up recovery of the jobs that read the lake (`recover_lake`: ingestion,
erasure, the silver gate, dbt, the run summary) then finds each date whole, old or new.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cdp.summary import collect_summary
from customer_platform.partitions import SwapInProgress, drop_partitions, recover_lake
from expectations.common import GateThresholds
from expectations.silver_gate import collect_silver
from spark_jobs.ingest import ingest_dates, ingest_source
from tests.spark_jobs.lake import leftovers, partition_checksums, read_table
from tests.spark_jobs.landing_files import valid_rows, write_drop

D1, D2, D3 = "2026-06-02", "2026-06-03", "2026-06-04"
REPO = Path(__file__).resolve().parents[2]
PUBLISH = (
    "import sys, pathlib; from customer_platform import partitions as p; "
    "t, token, dates = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(','); "
    "p.write_owner(t / '_staging' / token, token, dates); p.publish_partitions(t, token, dates)"
)
DROP = (
    "import sys, pathlib; from customer_platform import partitions as p; "
    "p.drop_partitions(pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(','))"
)
TOKEN = "killed-run.0000abcd"
#: Every step of the swap, and what a reader must find once the killed run is recovered: before
#: the committed marker the staged copy may be incomplete (roll back), after it it is whole (forward).
STEPS = {
    "staged": "old",  # staging written, nothing committed
    "committed": "new",  # marker written, nothing renamed
    "between_renames": "new",  # the first date's old partition moved aside, the new one not yet in
    "after_rename_in": "new",  # the first date's new partition in, the second date untouched
    "before_cleanup": "new",  # every new partition in, the old copies still in _trash
}


def _write_partition(folder: Path, version: str, rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table({"row_id": [f"{version}-{i}" for i in range(rows)], "version": [version] * rows})
    pq.write_table(table, folder / "part-00000.parquet")


def _versions(table_dir: Path) -> dict[str, set[str]]:
    """Per ingest date, the versions of the rows a DuckDB reader finds."""
    found: dict[str, set[str]] = {}
    for row in read_table(table_dir):
        found.setdefault(str(row["ingest_date"]), set()).add(row["version"])
    return found


def _paused_at(point: str, script: str, *args: str) -> subprocess.Popen:
    """A subprocess running `script` that has reached the fail point `point` and sleeps there."""
    env = {**os.environ, "CDP_FAILPOINTS": point, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:
            if f"FAILPOINT {point} reached" in line:
                return proc
        raise AssertionError(f"{point} was never reached (exit {proc.wait()})")
    finally:
        watchdog.cancel()


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()
    assert proc.returncode == -9


def _silver_table(settings) -> Path:
    """web_orders' silver table with D1 and the old D2, D3, and a new D2, D3 staged by a run."""
    table = settings.silver_dir / "web_order_lines"
    _write_partition(table / f"ingest_date={D1}", "d1", 3)
    for day in (D2, D3):
        _write_partition(table / f"ingest_date={day}", "old", 4)
        _write_partition(table / "_staging" / TOKEN / f"ingest_date={day}", "new", 5)
    return table


@pytest.mark.parametrize("step", list(STEPS))
def test_a_publish_killed_at_any_step_is_recovered_whole_by_the_next_reader(step, isolated_settings):
    table = _silver_table(isolated_settings)
    _kill(_paused_at(f"{step}:silver", PUBLISH, str(table), TOKEN, f"{D2},{D3}"))
    if step == "between_renames":  # the hole a killed swap leaves until something recovers it
        assert D2 not in _versions(table) and (table / "_trash" / TOKEN / f"ingest_date={D2}").is_dir()

    # The run summary stage reads the lake through the same start-up recovery as the silver gate and dbt.
    counts = collect_summary(D2)["lakehouse"]["silver"]["web_order_lines"]
    expected = STEPS[step]
    assert counts["date"] == (5 if expected == "new" else 4)
    assert _versions(table) == {D1: {"d1"}, D2: {expected}, D3: {expected}}
    assert leftovers(isolated_settings.lakehouse_dir) == []
    assert recover_lake(isolated_settings) == []  # idempotent: nothing left to do


def test_a_live_swap_is_waited_for_never_recovered_under_its_owner(isolated_settings):
    table = _silver_table(isolated_settings)
    proc = _paused_at("between_renames:silver", PUBLISH, str(table), TOKEN, f"{D2},{D3}")
    try:
        with pytest.raises(
            SwapInProgress, match=rf"web_order_lines: a partition swap by .*\"pid\": {proc.pid}"
        ):
            recover_lake(isolated_settings, wait_seconds=0.3)
        # Nothing was rolled back under the live owner: its moved-aside partition is where it put it.
        assert (table / "_trash" / TOKEN / f"ingest_date={D2}").is_dir()
        assert (table / "_staging" / TOKEN / f"ingest_date={D2}").is_dir()
    finally:
        _kill(proc)
    assert recover_lake(isolated_settings) == [f"silver/web_order_lines: rolled forward {TOKEN}"]
    assert _versions(table) == {D1: {"d1"}, D2: {"new"}, D3: {"new"}}


def test_a_run_still_staging_is_left_alone(isolated_settings):
    table = _silver_table(isolated_settings)
    proc = _paused_at("staged:silver", PUBLISH, str(table), TOKEN, f"{D2},{D3}")
    try:
        assert recover_lake(isolated_settings, wait_seconds=0.3) == []
        assert (table / "_staging" / TOKEN / f"ingest_date={D2}").is_dir()
    finally:
        _kill(proc)


def test_a_killed_partition_deletion_is_finished_by_the_next_reader(isolated_settings):
    table = isolated_settings.bronze_dir / "web_orders"
    for day in (D1, D2, D3):
        _write_partition(table / f"ingest_date={day}", "old", 2)
    names = [f"ingest_date={D1}", f"ingest_date={D2}"]
    _kill(_paused_at("before_cleanup:bronze", DROP, str(table), "retention.0001", ",".join(names)))
    assert recover_lake(isolated_settings) == ["bronze/web_orders: rolled forward retention.0001"]
    assert _versions(table) == {D3: {"old"}} and leftovers(isolated_settings.lakehouse_dir) == []
    assert drop_partitions(table, "retention.0002", names) == []  # idempotent


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


def test_killed_swap_is_recovered_by_the_silver_gate_and_by_another_source(spark, isolated_settings):
    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", D1, valid_rows("web_orders", 3))
    write_drop(s.landing_dir, "web_orders", D2, valid_rows("web_orders", 5, start=10))
    ingest_dates("web_orders", [D1, D2], spark=spark)
    table = s.silver_dir / "web_order_lines"
    before = partition_checksums(table)
    # A run staged a new D2 partition (a copy of D1's rows) and is killed between the two renames.
    shutil.copytree(table / f"ingest_date={D1}", table / "_staging" / TOKEN / f"ingest_date={D2}")
    _kill(_paused_at("between_renames:silver", PUBLISH, str(table), TOKEN, D2))
    assert {str(r["ingest_date"]) for r in read_table(table)} == {D1}  # the hole

    # The silver gate's start-up recovery rolls the committed swap forward: the gate finds D2 whole.
    found = collect_silver(spark, s, date.fromisoformat(D2), GateThresholds())
    frames = {t.asset_name: t.frame for t in found.targets}
    assert frames["web_order_lines"].count() == 3
    assert partition_checksums(table)[f"ingest_date={D2}"] == before[f"ingest_date={D1}"]
    assert leftovers(s.lakehouse_dir) == []
    for target in found.targets:
        target.release()

    # Killed there again: this time the next run of a different source puts it right.
    _write_partition(table / "_staging" / TOKEN / f"ingest_date={D2}", "new", 6)
    _kill(_paused_at("between_renames:silver", PUBLISH, str(table), TOKEN, D2))
    write_drop(s.landing_dir, "crm_customers", D1, valid_rows("crm_customers", 2))
    ingest_source("crm_customers", D1, spark=spark)
    assert _versions(table)[D2] == {"new"} and leftovers(s.lakehouse_dir) == []
    again = ingest_source("web_orders", D2, spark=spark)
    assert again["rows_silver"] == 5 and len(read_table(table)) == 8
