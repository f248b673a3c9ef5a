"""One day's drops ingested in a fresh process: the nightly ingestion target, measured cold.

    python -m bench.ingest_day --scale 1000000 [--date 2026-06-02] [--repeat 3]

The main benchmark (`bench.run`) measures the nightly ingestion in the process that has
just done the initial load, with a warm JVM. A nightly run starts its own process, so
this measures that case: every repeat is a new interpreter and a new Spark JVM that ingests
the date's drop of every source (`spark_jobs.ingest.ingest_source`, what the nightly DAG's
`ingest_<source>` tasks run) into a scratch lakehouse. The scale's landing files are
linked, never copied or changed. Spark start-up is timed apart from the ingestion.

Writes `bench/results/<date>_<machine>_<scale>_ingest_day.json` and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 60.0  # one 1M-customer day's drops after Spark start-up (issue target)


def _child(date: str) -> None:
    """Runs inside the fresh interpreter: time start-up and each source, print one JSON line."""
    from customer_platform.config import get_settings
    from spark_jobs.ingest import ingest_source
    from spark_jobs.session import get_spark

    started = time.perf_counter()
    get_spark("customer-platform-bench-ingest-day")
    startup = time.perf_counter() - started
    sources = []
    for source in get_settings().sources:
        began = time.perf_counter()
        manifest = ingest_source(source, date, run_id=f"bench_ingest_day__{date}")
        sources.append(
            {
                "source": source,
                "seconds": round(time.perf_counter() - began, 2),
                "rows_read": manifest.get("rows_read", 0),
                "rows_silver": manifest.get("rows_silver", 0),
                "status": manifest.get("status"),
            }
        )
    print("RESULT " + json.dumps({"spark_startup_s": round(startup, 2), "sources": sources}), flush=True)


def _scratch(landing: Path, date: str, sources: tuple[str, ...], root: Path) -> Path:
    """A data directory whose landing holds links to the date's drops only."""
    for source in sources:
        (root / "landing" / source).mkdir(parents=True, exist_ok=True)
        drop = landing / source / date
        if drop.is_dir():
            (root / "landing" / source / date).symlink_to(drop.resolve(), target_is_directory=True)
    return root


def run_once(landing: Path, date: str) -> dict[str, Any]:
    """One fresh interpreter ingesting the date into a scratch data directory."""
    from customer_platform.config import get_settings

    with tempfile.TemporaryDirectory(prefix="cdp-ingest-day-") as tmp:
        data_dir = _scratch(landing, date, get_settings().sources, Path(tmp))
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("CDP_") or k == "CDP_SPARK_JAVA_OPTIONS"
        }
        env.update(CDP_DATA_DIR=str(data_dir), GX_ANALYTICS_ENABLED="false")
        code = f"from bench.ingest_day import _child; _child({date!r})"
        process = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    if process.returncode != 0 or not lines:
        tail = "\n".join(process.stderr.splitlines()[-20:])
        raise RuntimeError(f"ingestion of {date} exited {process.returncode}:\n{tail}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["ingest_s"] = round(sum(s["seconds"] for s in result["sources"]), 2)
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-source median seconds and the spread of the totals across repeats."""
    totals = [r["ingest_s"] for r in runs]
    per_source = {}
    for entry in runs[0]["sources"]:
        name = entry["source"]
        seconds = [s["seconds"] for r in runs for s in r["sources"] if s["source"] == name]
        per_source[name] = {
            "median_s": round(statistics.median(seconds), 2),
            "rows_read": entry["rows_read"],
            "rows_per_s": round(entry["rows_read"] / statistics.median(seconds)) if entry["rows_read"] else 0,
        }
    return {
        "rows_read": sum(e["rows_read"] for e in runs[0]["sources"]),
        "ingest_s": {"min": min(totals), "median": statistics.median(totals), "max": max(totals)},
        "spark_startup_s": statistics.median(r["spark_startup_s"] for r in runs),
        "per_source": per_source,
        "target_s": TARGET_SECONDS,
        "meets_target": max(totals) < TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    from bench import report
    from customer_platform.cli_args import iso_date
    from customer_platform.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m bench.ingest_day", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, required=True, help="a scale generated by bench.run")
    parser.add_argument(
        "--date", type=iso_date, default="2026-06-02", help="the nightly date (default: bench.run's)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes to run (default 3)")
    parser.add_argument("--results-dir", type=Path, default=report.RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    landing = get_settings().bench_dir / str(args.scale) / "landing"
    if not landing.is_dir():
        parser.error(f"no landing data for --scale {args.scale} at {landing}: run bench.run --scale first")
    load_start = report.load_average()
    runs = [run_once(landing, args.date) for _ in range(args.repeat)]
    machine = report.machine_info()
    result = {
        "scale": args.scale,
        "date": time.strftime("%Y-%m-%d"),
        "nightly_date": args.date,
        "machine": machine,
        "load_start": load_start,
        "load_end": report.load_average(),
        "summary": summarise(runs),
        "runs": runs,
    }
    out = args.results_dir / f"{result['date']}_{report.machine_tag(machine)}_{args.scale}_ingest_day.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
