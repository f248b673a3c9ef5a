"""Each stage against its DuckDB floor, and how each stage grows between two scales.

* Floor ratio: the platform stage's wall time ÷ its floor's DuckDB work time (interpreter
  start-up left out, as the RFM floor's SQL time is), measured in the same run on the same
  files (`bench.floors`). Above 1: the platform takes longer than the least work DuckDB needs.
* Growth exponent: log(t_big / t_small) / log(n_big / n_small) against the most recent result
  of a smaller scale on the same machine, with n the stage's rows in (the customers when either
  run has no row count for it). 1 is linear; above `FASTER_THAN_LINEAR` is flagged. A stage
  under `NOISE_SECONDS` at both scales is reported as noise: start-up and scheduling dominate.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

FLOOR_PHASE = "floor"
PLATFORM_PHASES = ("initial", "nightly")
FASTER_THAN_LINEAR = 1.15
NOISE_SECONDS = 1.0
_OK = {"ok", "reused", "success"}
#: `<YYYY-MM-DD>_<machine>_<scale>.json`: a whole run's result (not `_ingest_day`, `_activation`, ...).
_RESULT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})_(.+)_(\d+)$")


def _main_stages(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Sub-stages (a dbt model inside `dbt build`) are inside their parent's time.
    return [
        s for s in stages if s["phase"] in PLATFORM_PHASES and not (s.get("detail") or {}).get("sub_stage_of")
    ]


def floor_ratios(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per floor: the stage, its phase, its seconds, the floor's seconds and the ratio."""
    platform = {(s["phase"], s["name"]): s for s in _main_stages(stages)}
    rows = []
    for floor in (s for s in stages if s["phase"] == FLOOR_PHASE):
        detail = floor.get("detail") or {}
        stage = platform.get((detail.get("of_phase"), detail.get("of_stage")))
        if stage is None:
            continue
        floor_s = detail.get("work_seconds") or floor["seconds"]
        ok = floor["status"] in _OK and floor_s > 0
        ratio = stage["seconds"] / floor_s if ok else None
        rows.append(
            {
                "stage": stage["name"],
                "phase": stage["phase"],
                "seconds": stage["seconds"],
                "floor_seconds": floor_s,
                "floor_status": floor["status"],
                "ratio": round(ratio, 2) if ratio is not None else None,
            }
        )
    return rows


def growth_exponent(t_small: float, t_big: float, n_small: float, n_big: float) -> float | None:
    """log(t_big / t_small) / log(n_big / n_small); None when a time or size is 0 or the sizes are equal."""
    if min(t_small, t_big, n_small, n_big) <= 0 or n_small == n_big:
        return None
    return math.log(t_big / t_small) / math.log(n_big / n_small)


def growth_verdict(exponent: float | None, t_small: float, t_big: float) -> str:
    """ "noise" under a second at both scales, else "faster than linear" above the limit, else "linear or better"."""
    if t_small < NOISE_SECONDS and t_big < NOISE_SECONDS:
        return f"noise (under {NOISE_SECONDS:.0f} s at both scales)"
    if exponent is None:
        return "n/a"
    return "faster than linear" if exponent > FASTER_THAN_LINEAR else "linear or better"


def previous_result(results_dir: Path, machine_tag: str, scale: int) -> tuple[Path, dict[str, Any]] | None:
    """The most recent whole-run result of a smaller scale on the same machine (newest date, then largest scale)."""
    candidates = []
    for path in results_dir.glob("*.json"):
        match = _RESULT_NAME.match(path.stem)
        if match and match.group(2) == machine_tag and int(match.group(3)) < scale:
            candidates.append((match.group(1), int(match.group(3)), path))
    for _, _, path in sorted(candidates, reverse=True):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if result.get("stages"):
            return path, result
    return None


def _rows(stage: dict[str, Any]) -> int | None:
    return stage.get("rows_in") or None


def growth(result: dict[str, Any], results_dir: Path) -> dict[str, Any]:
    """Growth of every main stage from the previous smaller-scale result to this one."""
    found = previous_result(results_dir, result["machine_tag"], result["scale"])
    if found is None:
        return {"compared_with": None, "rows": []}
    path, small = found
    before = {(s["phase"], s["name"]): s for s in _main_stages(small["stages"]) if s["status"] in _OK}
    rows = []
    for stage in _main_stages(result["stages"]):
        earlier = before.get((stage["phase"], stage["name"]))
        if earlier is None or stage["status"] not in _OK:
            continue
        counted = _rows(earlier) and _rows(stage)
        n_small, n_big = (
            (earlier["rows_in"], stage["rows_in"]) if counted else (small["scale"], result["scale"])
        )
        exponent = growth_exponent(earlier["seconds"], stage["seconds"], n_small, n_big)
        rows.append(
            {
                "stage": stage["name"],
                "phase": stage["phase"],
                "seconds_small": earlier["seconds"],
                "seconds": stage["seconds"],
                "rows_small": n_small,
                "rows": n_big,
                "by": "rows in" if counted else "customers",
                "exponent": round(exponent, 2) if exponent is not None else None,
                "verdict": growth_verdict(exponent, earlier["seconds"], stage["seconds"]),
            }
        )
    return {
        "compared_with": {"file": path.name, "scale": small["scale"], "date": small.get("date")},
        "rows": rows,
    }


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


#: The scale targets at 1M customers on 2 cores: (summary key, limit, unit, what).
TARGETS_1M = (
    ("nightly_run_s", 120.0, "s", "incremental nightly run, end to end"),
    ("platform_peak_rss_mb", 8192.0, "MB", "peak RSS of the platform's process tree"),
    ("initial_load_s", 600.0, "s", "initial load"),
)
TARGET_SCALE = 1_000_000


def target_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each 1M target against this run's summary (met only at the target's scale or above)."""
    summary, rows = result.get("summary") or {}, []
    for key, limit, unit, what in TARGETS_1M:
        value = summary.get(key)
        applies = result.get("scale", 0) >= TARGET_SCALE and value is not None
        verdict = ("met" if value <= limit else "missed") if applies else "target is for 1M"
        rows.append({"what": what, "value": value, "limit": limit, "unit": unit, "verdict": verdict})
    return rows


def markdown_sections(result: dict[str, Any]) -> list[str]:
    """The report's sections "Targets", "Each stage against its DuckDB floor" and "Growth with scale"."""
    lines = [
        "",
        "## Targets at 1M customers (2 cores)",
        "",
        "| target | here | limit | verdict |",
        "|---|---:|---:|---|",
    ]
    for row in target_rows(result):
        verdict = f"**{row['verdict']}**" if row["verdict"] == "missed" else row["verdict"]
        lines.append(
            f"| {row['what']} | {_num(row['value'], 0)} {row['unit']} | {row['limit']:,.0f} {row['unit']} | {verdict} |"
        )
    lines += [
        "",
        "## Each stage against its DuckDB floor",
        "",
        "Floor: the least work DuckDB needs for the stage's inputs and outputs, on the same files of "
        "this run, in its own interpreter (`bench/floors.py`); floor s is its DuckDB work without "
        "interpreter start-up. Ratio above 1: the platform takes longer.",
        "",
    ]
    ratios = result.get("floor_ratios") or []
    if ratios:
        lines += ["| stage | phase | s | floor s | ratio |", "|---|---|---:|---:|---:|"]
        for row in ratios:
            ratio = _num(row["ratio"], 2) if row["floor_status"] in _OK else f"floor {row['floor_status']}"
            lines.append(
                f"| {row['stage']} | {row['phase']} | {_num(row['seconds'])} | "
                f"{_num(row['floor_seconds'], 2)} | {ratio} |"
            )
    else:
        lines.append("No floors measured in this run (`--skip-floors`, or run `--floors-only`).")
    lines += ["", "## Growth with scale", ""]
    found = (result.get("growth") or {}).get("compared_with")
    if not found:
        return [*lines, f"No result of a smaller scale on machine {result['machine_tag']} to compare with."]
    lines += [
        f"Against {found['file']} ({found['scale']:,} customers): exponent = log(t / t₀) / log(n / n₀), "
        f"n the stage's rows in (customers where a run has no row count); 1 is linear, above "
        f"{FASTER_THAN_LINEAR} is flagged; under {NOISE_SECONDS:.0f} s at both scales is noise.",
        "",
        "| phase | stage | s before | s here | n before | n here | by | exponent | verdict |",
        "|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for row in result["growth"]["rows"]:
        verdict = f"**{row['verdict']}**" if row["verdict"] == "faster than linear" else row["verdict"]
        lines.append(
            f"| {row['phase']} | {row['stage']} | {_num(row['seconds_small'])} | {_num(row['seconds'])} | "
            f"{row['rows_small']:,} | {row['rows']:,} | {row['by']} | {_num(row['exponent'], 2)} | {verdict} |"
        )
    return lines
