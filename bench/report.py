"""Benchmark results: the machine, phase totals, baseline ratios, JSON and Markdown files.

A result is a plain dict (what `bench.run` measured) so it can be written, reloaded and
compared across scales by `bench.curve` without the platform's libraries.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import psutil

from bench.stage_ratios import markdown_sections

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PACKAGES = (
    "pyspark",
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "great-expectations",
    "scikit-learn",
    "mlflow",
    "splink",
    "pandas",
    "apache-airflow",
)


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages (the machine is shared: recorded at start and end)."""
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    """Cores, memory, OS, Python and the versions of the engines that do the work."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    memory_gb = psutil.virtual_memory().total / 1024**3
    return {
        "hostname": socket.gethostname(),
        "cores_logical": psutil.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(memory_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": os.environ.get("JAVA_HOME", ""),
        "versions": versions,
    }


def code_version() -> dict[str, Any]:
    """Commit and count of uncommitted files: figures are only comparable on the same code."""
    import subprocess

    def _git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=RESULTS_DIR.parent, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(_git("status", "--porcelain").splitlines()),
    }


def machine_tag(machine: dict[str, Any]) -> str:
    """Short tag naming the machine class in result file names, e.g. `2c-24g`."""
    return (
        os.environ.get("CDP_BENCH_MACHINE") or f"{machine['cores_logical']}c-{round(machine['memory_gb'])}g"
    )


def _main_stages(stages: list[dict], phase: str) -> list[dict]:
    # Sub-stages (a dbt model inside `dbt build`) are already inside their parent's time.
    return [s for s in stages if s["phase"] == phase and not s.get("detail", {}).get("sub_stage_of")]


def _seconds(stages: list[dict], phase: str, names: tuple[str, ...] | None = None, prefix: str = "") -> float:
    chosen = [
        s
        for s in _main_stages(stages, phase)
        if (names is None or s["name"] in names) and s["name"].startswith(prefix)
    ]
    return round(sum(s["seconds"] for s in chosen), 3)


def summarise(stages: list[dict]) -> dict[str, Any]:
    """Phase totals the targets talk about (seconds; peak RSS in MB over the platform's stages)."""
    platform_stages = [s for s in stages if s["phase"] in {"initial", "nightly"}]
    summary = {
        "initial_load_s": _seconds(stages, "initial"),
        "initial_ingest_s": _seconds(stages, "initial", prefix="ingest "),
        "spark_startup_s": _seconds(stages, "initial", ("spark start-up",)),
        "nightly_run_s": _seconds(stages, "nightly"),
        "nightly_ingest_s": _seconds(stages, "nightly", prefix="ingest "),
        "segmentation_s": _seconds(stages, "initial", ("training (selection)", "scoring + write-back")),
        "platform_peak_rss_mb": max((s["peak_rss_mb"] for s in platform_stages), default=0.0),
        "generation_s": _seconds(stages, "generation"),
        "complete": all(s["status"] in {"ok", "reused", "success"} for s in platform_stages)
        and {"initial", "nightly"} <= {s["phase"] for s in platform_stages},
    }
    return summary


def _find(stages: list[dict], name: str, phase: str) -> dict | None:
    return next((s for s in stages if s["name"] == name and s["phase"] == phase), None)


def comparisons(stages: list[dict]) -> list[dict[str, Any]]:
    """Platform stage time ÷ baseline time on the same files (> 1: the platform takes longer)."""
    rows = []
    floor = _find(stages, "duckdb rfm floor", "baseline")
    textbook = _find(stages, "textbook pandas + kmeans", "baseline")
    rfm_model = _find(stages, "  dbt model customer_rfm", "initial")
    landing_to_rfm = _seconds(stages, "initial", ("ingest web_orders", "ingest pos_orders", "dbt build"))
    initial_total = _seconds(stages, "initial")
    segmentation = _seconds(stages, "initial", ("training (selection)", "scoring + write-back"))
    if floor and floor["status"] == "ok":
        base = floor["detail"].get("sql_seconds") or floor["seconds"]
        rows.append(
            {
                "platform": "landing → marts.customer_rfm (ingest orders + dbt build)",
                "platform_s": landing_to_rfm,
                "baseline": "DuckDB RFM, one SQL statement",
                "baseline_s": base,
            }
        )
        if rfm_model:
            rows.append(
                {
                    "platform": "dbt model customer_rfm alone",
                    "platform_s": rfm_model["seconds"],
                    "baseline": "DuckDB RFM, one SQL statement",
                    "baseline_s": base,
                }
            )
    if textbook:
        capped = textbook["status"] == "timeout"
        for label, seconds in (
            ("whole initial load (landing → segments)", initial_total),
            ("segmentation (selection + scoring)", segmentation),
        ):
            rows.append(
                {
                    "platform": label,
                    "platform_s": seconds,
                    "baseline": "textbook pandas + KMeans",
                    "baseline_s": textbook["seconds"],
                    "baseline_capped": capped,
                }
            )
    for row in rows:
        ratio = row["platform_s"] / row["baseline_s"] if row["baseline_s"] else None
        row["ratio"] = round(ratio, 3) if ratio is not None else None
        # A capped baseline ran at least that long: the ratio is an upper bound.
        row["ratio_text"] = (
            "n/a" if ratio is None else (f"≤ {ratio:.2f}" if row.get("baseline_capped") else f"{ratio:.2f}")
        )
    return rows


def result_paths(result: dict[str, Any], results_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """`<results_dir>/<YYYY-MM-DD>_<machine-tag>_<scale>.json` and `.md`."""
    stem = f"{result['date']}_{result['machine_tag']}_{result['scale']}"
    return results_dir / f"{stem}.json", results_dir / f"{stem}.md"


def _fmt_rows(value: Any) -> str:
    return "" if value is None else f"{value:,.0f}"


def _fmt_s(seconds: float) -> str:
    return f"{seconds:,.1f}"


def _sharing_note(result: dict[str, Any], machine: dict[str, Any]) -> str:
    """Say so when other work held the cores as the run began (its figures are then upper bounds).

    Only the start is telling: during and after the run the load is the benchmark's own.
    """
    load = result.get("load_start") or []
    if load and load[0] > machine["cores_logical"]:
        return " (other work held the cores at the start: figures are upper bounds)"
    return ""


def render_markdown(result: dict[str, Any]) -> str:
    """The Markdown report of one benchmark run."""
    stages, summary, machine = result["stages"], result["summary"], result["machine"]
    lines = [
        f"# Benchmark: {result['scale']:,} customers ({result['date']}, {result['machine_tag']})",
        "",
        f"Machine: {machine['cores_logical']} cores, {machine['memory_gb']} GB, {machine['os']}, "
        f"Python {machine['python']}. Load average (1, 5, 15 min) at start {result['load_start']}, "
        f"at end {result['load_end']}{_sharing_note(result, machine)}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v) + ".",
        f"Dataset: {result['dataset']}. Settings: {result['settings']}. Code: {result.get('code')}.",
        "",
        "Stages call the package code the Airflow DAG tasks call, in one process, without Airflow's "
        "per-task overhead; dbt runs as one `dbt build`. Peak RSS is the whole process tree "
        "(Python + Spark JVM + subprocesses) during the stage.",
        "",
        "| phase | stage | wall s | peak RSS MB | rows in | rows out | rows/s | status |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in stages:
        status = s["status"] + (f" ({s['note']})" if s.get("note") else "")
        lines.append(
            f"| {s['phase']} | {s['name'].strip()} | {_fmt_s(s['seconds'])} | {s['peak_rss_mb']:,.0f} | "
            f"{_fmt_rows(s.get('rows_in'))} | {_fmt_rows(s.get('rows_out'))} | {_fmt_rows(s.get('rows_per_s'))} | "
            f"{status} |"
        )
    lines += [
        "",
        "## Totals",
        "",
        f"- full initial load (Spark start-up, ingestion, gates, dbt, training, scoring): "
        f"{_fmt_s(summary['initial_load_s'])} s (of which Spark start-up {_fmt_s(summary['spark_startup_s'])} s, "
        f"ingestion {_fmt_s(summary['initial_ingest_s'])} s)",
        f"- incremental nightly run: {_fmt_s(summary['nightly_run_s'])} s "
        f"(ingestion of the day's drops {_fmt_s(summary['nightly_ingest_s'])} s after Spark start-up)",
        f"- segmentation (selection + scoring): {_fmt_s(summary['segmentation_s'])} s",
        f"- peak RSS of the platform's process tree: {summary['platform_peak_rss_mb']:,.0f} MB",
        f"- complete: {summary['complete']}",
        "",
        "## Baselines on the same landing files",
        "",
        "| platform | s | baseline | s | platform ÷ baseline |",
        "|---|---:|---|---:|---:|",
    ]
    for row in result.get("comparisons", []):
        base = (
            f"did not finish in {row['baseline_s']:.0f} s"
            if row.get("baseline_capped")
            else _fmt_s(row["baseline_s"])
        )
        lines.append(
            f"| {row['platform']} | {_fmt_s(row['platform_s'])} | {row['baseline']} | {base} | "
            f"{row['ratio_text']} |"
        )
    for phase in ("initial", "nightly"):
        dbt = next((s for s in stages if s["name"] == "dbt build" and s["phase"] == phase), None)
        if dbt and dbt.get("detail", {}).get("slowest_models"):
            lines += ["", f"## Slowest dbt models ({phase})", "", "| model | s |", "|---|---:|"]
            lines += [f"| {m['name']} | {m['seconds']:.1f} |" for m in dbt["detail"]["slowest_models"]]
    lines += markdown_sections(result)
    if result.get("quality"):
        lines += [
            "",
            "## Quality at this scale",
            "",
            "```json",
            json.dumps(result["quality"], indent=2),
            "```",
        ]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def write_results(result: dict[str, Any], results_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Write the JSON and Markdown reports; returns their paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = result_paths(result, results_dir)
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(result), encoding="utf-8")
    return json_path, md_path


def new_result(scale: int) -> dict[str, Any]:
    """An empty result for `scale` customers, stamped with today's date and the machine."""
    machine = machine_info()
    return {
        "scale": scale,
        "date": date.today().isoformat(),
        "machine": machine,
        "machine_tag": machine_tag(machine),
        "code": code_version(),
        "load_start": load_average(),
        "load_end": None,
        "stages": [],
        "notes": [],
    }
