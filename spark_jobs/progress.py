"""Progress lines of an ingestion, at its natural checkpoints (drop found, rows counted, layers written).

They go to the `spark_jobs` logger at INFO: the terminal of `python -m spark_jobs.ingest` and the
task log of an Airflow ingest task show what a long ingestion is doing, stage by stage.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from spark_jobs.landing import Drop

log = logging.getLogger("spark_jobs.ingest")


def log_drops(source: str, drops: list[Drop], landing_dir: Path) -> None:
    """Which dates have a drop, with how many files and bytes (or that none has)."""
    present = [d for d in drops if d.exists]
    if not present:
        log.info("ingest %s: no drop under %s for %s", source, landing_dir / source, _dates(drops))
        return
    files = [f for d in present for f in d.files]
    size = sum(f.size for f in files)
    log.info(
        "ingest %s: reading %d file(s), %s bytes, for %s", source, len(files), f"{size:,}", _dates(present)
    )


def log_counts(source: str, manifests: list[dict[str, Any]]) -> None:
    """Rows read, kept in bronze and quarantined, over the manifests of one pass."""
    read, bronze, quarantined = (
        sum(m[key] for m in manifests) for key in ("rows_read", "rows_bronze", "rows_quarantined")
    )
    log.info(
        "ingest %s: %s rows read, %s to bronze, %s quarantined",
        source,
        f"{read:,}",
        f"{bronze:,}",
        f"{quarantined:,}",
    )


def log_step(source: str, what: str, started: float) -> None:
    """A finished step, with the seconds since the ingestion started (`time.monotonic()`)."""
    log.info("ingest %s: %s (%.0f s)", source, what, time.monotonic() - started)


def _dates(drops: list[Drop]) -> str:
    dates = [d.ingest_date for d in drops]
    return dates[0] if len(dates) == 1 else f"{len(dates)} dates, {dates[0]}..{dates[-1]}"
