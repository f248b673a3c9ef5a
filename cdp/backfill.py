"""Backfills: the nightly pipeline for a range of logical dates, oldest first, one at a time.

A backfill is a sequence of ordinary nightly runs. Every stage reads only what was
delivered by its logical date, so running past dates after later drops have already
landed gives the same tables as running each night when it happened. Dates run in
order because the warehouse carries state from one night to the next (stable
`unified_customer_id`s, the champion model, segment ids matched to the previous run).

Two runners execute a date:
- `airflow_runner` — `airflow dags test customer_platform_nightly <date>`, what `cdp backfill`
  uses on embedded defaults (with a scheduler, `airflow backfill create` does the same).
- `run_nightly_in_process` — the stages of `cdp.pipeline.NIGHTLY` (what the DAG's tasks
  call), in order, without Airflow (for debugging a date and for tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cdp.airflow_env import dags_test
from cdp.pipeline import NIGHTLY
from customer_platform.config import parse_iso_date
from customer_platform.registry import get_registry

log = logging.getLogger(__name__)

#: Runs the whole nightly pipeline for one logical date; returns 0 on success.
DateRunner = Callable[[str], int]


def date_range(start: str, end: str) -> list[str]:
    """Every date from start to end inclusive, as YYYY-MM-DD; a bad range names the argument."""
    try:
        first, last = parse_iso_date(start, "start"), parse_iso_date(end, "end")
    except ValueError as exc:
        raise ValueError(f"start and end must be YYYY-MM-DD dates, got {start!r} and {end!r}") from exc
    if last < first:
        raise ValueError(f"end {end} is before start {start}")
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


@dataclass
class BackfillResult:
    """Exit code per date that ran; `failed_date` is where the backfill stopped, if it did."""

    codes: dict[str, int] = field(default_factory=dict)
    failed_date: str | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed_date is None


def backfill(start: str, end: str, run_date: DateRunner) -> BackfillResult:
    """Run `run_date` for each date oldest first; stop at the first failure.

    Later dates are not attempted after a failure: their runs would build on a night that
    did not happen. Re-run from the failed date once it is repaired.
    """
    dates = date_range(start, end)
    result = BackfillResult()
    for position, ds in enumerate(dates):
        code = run_date(ds)
        result.codes[ds] = code
        if code != 0:
            result.failed_date = ds
            result.skipped = dates[position + 1 :]
            break
    return result


def airflow_runner(ds: str) -> int:
    """Run the nightly DAG for one date with `airflow dags test`; the log goes to data/runs/.

    A run that created no task instance, or left one unfinished, counts as failed (exit 1).
    """
    result = dags_test("customer_platform_nightly", ds)
    problem = result.problem()
    if problem:
        log.error("%s; log: %s", problem, result.log_path)
        return result.code or 1
    return 0


def run_nightly_in_process(ds: str, run_id: str | None = None) -> dict[str, Any]:
    """Every stage of the nightly pipeline for one date, in order, without Airflow; raises on failure.

    Returns each stage's result by stage name (per-source stages: by source).
    """
    run_id = run_id or f"in_process__{ds}"
    results: dict[str, Any] = {}
    try:
        for stage in NIGHTLY:
            if stage.teardown:
                continue
            log.info("%s: %s", ds, stage.label)
            if stage.per_source:
                results[stage.name] = {
                    source: stage.run(ds, run_id, source) for source in get_registry().active
                }
            else:
                results[stage.name] = stage.run(ds, run_id)
    finally:
        for stage in NIGHTLY:
            if stage.teardown:
                log.info("%s: %s", ds, stage.label)
                results[stage.name] = stage.run(ds, run_id)
    return results


def in_process_runner(ds: str) -> int:
    """`run_nightly_in_process` as a `DateRunner`: 0 on success, 1 (logged) on failure."""
    try:
        run_nightly_in_process(ds)
    except Exception:
        log.exception("nightly pipeline failed for %s", ds)
        return 1
    return 0
