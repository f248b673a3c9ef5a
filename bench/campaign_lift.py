"""Campaign lift against planted truth, over many generated seeds.

    python -m bench.campaign_lift [--seeds 101-110] [--customers N] [--root DIR]

Each seed generates the demo's sources (its `campaign_log` included: email campaigns with
holdout groups, and extra orders planted for treated members, `datagen/campaigns.py`) into its
own data folder, loads the history, and runs the nightly stages the measurement needs for the
last date: ingestion, the erasure sweep, the silver gate, the dbt build and `measure_campaigns`
(segmentation and predictions do not change a campaign's `All` row). The platform's reported
conversion lift of each logged campaign (`marts.campaign_results`, segment `All`) is compared
with the truth's `expected_conversion_lift` (`_truth/campaigns.csv`, row `all`: the planted
extra-order probability times the share of members who would not have bought anyway). The
target: the planted lift inside the reported 95 % interval for at least 9 seeds in 10.
Report: `bench/results/<date>_<machine>_campaign_lift.{json,md}`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.report import RESULTS_DIR, machine_info, machine_tag

START, END = "2026-06-01", "2026-06-30"
STAGES = ("sweep_erased", "silver_gate", "dbt", "measure_campaigns")
_ENV_CLEARED = (
    "CDP_LANDING_DIR",
    "CDP_LAKEHOUSE_DIR",
    "CDP_WAREHOUSE_PATH",
    "MLFLOW_TRACKING_URI",
    "AIRFLOW_HOME",
)


def run_seed(seed: int, data_dir: Path, customers: int) -> list[dict[str, Any]]:
    """Generate, load and measure one seed; one row per logged campaign."""
    import duckdb

    from cdp.commands import initial_load
    from cdp.pipeline import run_stage
    from customer_platform.config import reload_settings
    from customer_platform.registry import get_registry
    from datagen.generator import generate

    os.environ.update(
        {"CDP_DATA_DIR": str(data_dir), "CDP_START_DATE": START, "CDP_DEFAULT_LOGICAL_DATE": END}
    )
    os.environ["CDP_MAX_QUARANTINE_RATE"] = (
        "0.5"  # a few thousand persons: one planted bad row is a high rate
    )
    for name in _ENV_CLEARED:
        os.environ.pop(name, None)
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = reload_settings()
    generate(
        settings.landing_dir, customers, dt.date.fromisoformat(START), dt.date.fromisoformat(END), seed=seed
    )
    if initial_load(END, stop_spark=False) != 0:
        raise RuntimeError(f"seed {seed}: the history load failed")
    run_id = f"bench__campaign_lift_{seed}"
    for source in get_registry().active:
        run_stage("ingest", END, run_id, source)
    for stage in STAGES:
        run_stage(stage, END, run_id)
    with open(settings.truth_dir / "campaigns.csv", encoding="utf-8", newline="") as handle:
        truth = {r["campaign_id"]: r for r in csv.DictReader(handle) if r["archetype"] == "all"}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        reported = con.execute(
            "select campaign_id, treatment_members, holdout_members, treatment_conversion_rate, "
            "holdout_conversion_rate, conversion_lift_abs, conversion_lift_abs_low, conversion_lift_abs_high, "
            "conversion_p_value, warning from marts.campaign_results "
            "where campaign_source = 'campaign_log' and segment_name = 'All' and logical_date = ? order by 1",
            [dt.date.fromisoformat(END)],
        ).df()
    rows = []
    for r in reported.itertuples():
        planted = float(truth[r.campaign_id]["expected_conversion_lift"])
        rows.append(
            {
                "seed": seed,
                "campaign_id": r.campaign_id,
                "treatment": int(r.treatment_members),
                "holdout": int(r.holdout_members),
                "truth_treatment": int(truth[r.campaign_id]["members_treatment"]),
                "truth_holdout": int(truth[r.campaign_id]["members_holdout"]),
                "planted_uplift": float(truth[r.campaign_id]["planted_uplift"]),
                "expected_lift": planted,
                "reported_lift": float(r.conversion_lift_abs),
                "low": float(r.conversion_lift_abs_low),
                "high": float(r.conversion_lift_abs_high),
                "p_value": float(r.conversion_p_value),
                "covered": bool(r.conversion_lift_abs_low <= planted <= r.conversion_lift_abs_high),
                "warning": r.warning,
            }  # fmt: skip
        )
    missing = sorted(set(truth) - set(reported["campaign_id"]))
    if missing:
        raise RuntimeError(f"seed {seed}: no reported result for planted campaign(s) {', '.join(missing)}")
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table: one row per seed and campaign."""
    lines = [
        "| seed | campaign | treatment / holdout (truth) | expected lift | reported lift | 95 % interval | p | covered |",
        "|---:|---|---|---:|---:|---|---:|:---:|",
    ]
    lines += [
        f"| {r['seed']} | {r['campaign_id']} | {r['treatment']:,} / {r['holdout']:,} ({r['truth_treatment']:,} / "
        f"{r['truth_holdout']:,}) | {100 * r['expected_lift']:+.2f} | {100 * r['reported_lift']:+.2f} | "
        f"[{100 * r['low']:+.2f}, {100 * r['high']:+.2f}] | {r['p_value']:.3f} | {'yes' if r['covered'] else 'NO'} |"
        for r in rows
    ]
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    first, sep, last = text.partition("-")
    try:
        return list(range(int(first), int(last) + 1)) if sep else [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected FIRST-LAST or a comma list of seeds, got {text!r}"
        ) from None


def main(argv: list[str] | None = None) -> int:
    """Run every seed; print and write the table; exit 1 when fewer than 90 % of the intervals cover."""
    from customer_platform.config import get_settings

    parser = argparse.ArgumentParser(
        prog="python -m bench.campaign_lift", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seeds", type=_seeds, default=_seeds("101-110"))
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument(
        "--root", type=Path, help="one data folder per seed (default: bench_dir/campaign_lift)"
    )
    args = parser.parse_args(argv)
    root = (args.root or get_settings().bench_dir / "campaign_lift").resolve()
    rows: list[dict[str, Any]] = []
    for seed in args.seeds:
        rows += run_seed(seed, root / f"seed-{seed}", args.customers)
        print(format_table(rows).splitlines()[-1], flush=True)
    covered = sum(r["covered"] for r in rows)
    machine = machine_info()
    result = {"date": dt.date.today().isoformat(), "machine": machine, "customers": args.customers,
              "seeds": args.seeds, "rows": rows, "covered": covered, "intervals": len(rows)}  # fmt: skip
    stem = f"{result['date']}_{machine_tag(machine)}_campaign_lift"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
    )
    summary = f"Planted lift inside the reported 95 % interval: {covered} of {len(rows)} ({args.customers:,} persons per seed)."
    (RESULTS_DIR / f"{stem}.md").write_text(
        f"# Campaign lift against planted truth\n\n{format_table(rows)}\n\n{summary}\n"
    )
    print(format_table(rows))
    print(summary)
    return 0 if covered >= 0.9 * len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
