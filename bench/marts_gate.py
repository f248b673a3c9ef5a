"""The marts gate on two consecutive nights: every row (`--full`) against the rows that changed.

    python -m bench.marts_gate NIGHT1.duckdb NIGHT2.duckdb [--repeat 3] [--out results.json]
        [--seed] [--incremental-only]

Works in a scratch data directory (the warehouses are copied, never changed). The first
night is validated in full, which leaves the gate's state; then, `--repeat` times, the
second night is validated incrementally (the nightly default) and with `--full`, each from
that same state, in this process (Great Expectations is imported and its context created
before anything is timed, as in the nightly pipeline's process). Per run it reports the
gate's wall time, and per suite the rows of its frame and the rows GX validated.
`bench.marts_night` makes a second night from a first one when no dbt build of it is at hand.

At scales where a full validation is itself the cost being measured away, `--seed` records
the first night's state without validating it through GX (the night must be one that
passes), and `--incremental-only` skips the full runs of the second night.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb


def _logical_date(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return str(connection.execute("select max(logical_date) from marts.customer_rfm").fetchone()[0])


def _timed_gate(day: str, run_id: str, full: bool) -> dict[str, Any]:
    from expectations.results import DataQualityGateFailed
    from expectations.runner import run_gate

    started = time.perf_counter()
    try:
        result = run_gate("marts", day, run_id, full=full)
    except DataQualityGateFailed as failure:
        result = failure.result
    return {
        "mode": "full" if full else "incremental",
        "seconds": round(time.perf_counter() - started, 2),
        "success": result.success,
        "expectations": len(result.outcomes),
        "rows": result.rows,
    }


def _seed(day: str) -> dict[str, Any]:
    """Record the state of a night without validating it (its pending state, committed)."""
    from datetime import date

    from customer_platform.config import get_settings
    from expectations.common import GateThresholds
    from expectations.marts_gate import collect_marts

    started = time.perf_counter()
    collected = collect_marts(
        get_settings(), date.fromisoformat(day), GateThresholds(), full=True, run_id="bench-seed"
    )
    for pending in collected.pending:
        pending.commit()
    return {"mode": "seeded", "seconds": round(time.perf_counter() - started, 2), "rows": collected.rows}


def measure(
    night1: Path, night2: Path, repeat: int, scratch: Path, seed: bool = False, modes=(False, True)
) -> dict[str, Any]:
    """Validate night 1 in full (or seed its state), then night 2 `repeat` times in each mode.

    modes: `full` flags to run night 2 with (False: incremental, True: every row).
    """
    from customer_platform.config import reload_settings
    from expectations.marts_state import state_dir

    os.environ["CDP_DATA_DIR"] = str(scratch)
    os.environ.pop("CDP_WAREHOUSE_PATH", None)
    os.environ.pop("CDP_DQ_DIR", None)
    settings = reload_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(night1, settings.warehouse_path)
    if seed:
        first = _seed(_logical_date(night1))
        _timed_gate(_logical_date(night1), "bench-warm-up", full=False)  # imports GX, creates its context
    else:
        first = _timed_gate(_logical_date(night1), "bench-night-1", full=True)
    saved = scratch / "state-after-night-1"
    shutil.copytree(state_dir(settings), saved)
    shutil.copy(night2, settings.warehouse_path)
    day = _logical_date(night2)
    runs = []
    for attempt in range(repeat):
        for full in modes:
            shutil.rmtree(state_dir(settings))
            shutil.copytree(saved, state_dir(settings))
            runs.append(_timed_gate(day, f"bench-night-2-{attempt}-{'full' if full else 'inc'}", full))
    return {"night_1": first, "night_2": runs, "summary": _summary(runs)}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {}
    for mode in sorted({r["mode"] for r in runs}, reverse=True):
        seconds = [r["seconds"] for r in runs if r["mode"] == mode]
        last = [r for r in runs if r["mode"] == mode][-1]
        summary[mode] = {
            "median_s": statistics.median(seconds),
            "min_s": min(seconds),
            "max_s": max(seconds),
            "rows": sum(c["rows"] for c in last["rows"].values()),
            "validated": sum(c["validated"] for c in last["rows"].values()),
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    """CLI: measure and print the summary (and every run with --out)."""
    parser = argparse.ArgumentParser(prog="python -m bench.marts_gate", description=__doc__.splitlines()[0])
    parser.add_argument("night1", type=Path)
    parser.add_argument("night2", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write every run as JSON here")
    parser.add_argument("--seed", action="store_true", help="record night 1's state without validating it")
    parser.add_argument("--incremental-only", action="store_true", help="no full runs of night 2")
    args = parser.parse_args(argv)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="bench-marts-gate-") as scratch:
        modes = (False,) if args.incremental_only else (False, True)
        report = measure(args.night1, args.night2, args.repeat, Path(scratch), args.seed, modes)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps({"night_1_s": report["night_1"]["seconds"], **report["summary"]}, indent=2))
    for suite, counts in report["night_2"][0]["rows"].items():
        print(f"{suite}: {counts['validated']:,} of {counts['rows']:,} rows validated ({counts['mode']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
