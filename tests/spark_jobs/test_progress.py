"""Ingestion progress lines: what a long ingestion says at its checkpoints (no Spark needed)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from spark_jobs import progress
from spark_jobs.landing import Drop, DropFile


def _drop(day: str, sizes: list[int]) -> Drop:
    files = [
        DropFile(Path(f"/l/crm/{day}/{i}.csv"), f"crm/{day}/{i}.csv", day, size, None)
        for i, size in enumerate(sizes)
    ]
    return Drop("crm", day, Path(f"/l/crm/{day}"), bool(sizes), files)


def test_a_pass_says_what_it_reads_counts_and_writes(caplog):
    caplog.set_level(logging.INFO, logger="spark_jobs")
    progress.log_drops(
        "crm",
        [_drop("2026-06-01", [1000, 2500]), _drop("2026-06-02", []), _drop("2026-06-03", [10])],
        Path("/l"),
    )
    progress.log_counts(
        "crm",
        [
            {"rows_read": 1200, "rows_bronze": 1190, "rows_quarantined": 10},
            {"rows_read": 5, "rows_bronze": 5, "rows_quarantined": 0},
        ],
    )
    progress.log_step("crm", "1,195 rows published to silver.crm_customers", time.monotonic() - 42)

    assert caplog.messages == [
        "ingest crm: reading 3 file(s), 3,510 bytes, for 2 dates, 2026-06-01..2026-06-03",
        "ingest crm: 1,205 rows read, 1,195 to bronze, 10 quarantined",
        "ingest crm: 1,195 rows published to silver.crm_customers (42 s)",
    ]


def test_a_date_without_a_drop_says_where_it_looked(caplog):
    caplog.set_level(logging.INFO, logger="spark_jobs")
    progress.log_drops("crm", [_drop("2026-06-02", [])], Path("/l"))

    assert caplog.messages == ["ingest crm: no drop under /l/crm for 2026-06-02"]
