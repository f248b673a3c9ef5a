"""Benchmark of the prediction stage alone: churn and lifetime-value training and scoring at any size.

`python -m bench.predictions --scale 1000000` plants buy-till-you-die histories for that many
buyers (`bench.planted_histories`: about 9 orders a customer over 18 months, web visits too)
into a fresh warehouse under `<CDP_DATA_DIR>/bench/predictions/<scale>/`, then times, with the
peak RSS of the process tree, what the nightly and weekly runs call: `train_predictions`
(point-in-time snapshots, both churn candidates, SHAP-free evaluation, BG/NBD + Gamma-Gamma by
MAP, MLflow logging and registration) and `score_predictions` (snapshot and summary as of the
date, churn probabilities, value, SHAP drivers of At-Risk customers, write-back). The whole
pipeline at 100k is `bench.run`, which includes the same stages on the generator's data.
Report: `bench/results/<date>_<machine>_<scale>_predictions.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

from bench import report
from bench.monitor import RssSampler, StageRecorder
from bench.planted_histories import END, planted_histories, write_warehouse


def main(argv: list[str] | None = None) -> int:
    """Run the prediction benchmark for one scale; writes its JSON and Markdown reports."""
    parser = argparse.ArgumentParser(prog="python -m bench.predictions", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="planted buyers")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.scale < 500:
        parser.error("--scale must be at least 500")
    from customer_platform.config import get_settings, reload_settings

    root = (get_settings().bench_dir / "predictions" / str(args.scale)).resolve()
    shutil.rmtree(root, ignore_errors=True)
    os.environ["CDP_DATA_DIR"] = str(root)
    for key in ("CDP_WAREHOUSE_PATH", "MLFLOW_TRACKING_URI", "MLFLOW_ARTIFACT_ROOT"):
        os.environ.pop(key, None)
    settings = reload_settings()

    from models.prediction.scoring import score_predictions
    from models.prediction.training import train_predictions

    result = report.new_result(args.scale)
    result["dataset"] = {"buyers": args.scale, "seed": args.seed, "logical_date": END.isoformat()}
    recorder = StageRecorder(RssSampler().start())
    day = END.isoformat()
    with recorder.measure("planted order history", "generation") as stage:
        orders, activity = planted_histories(args.scale, args.seed)
        write_warehouse(settings.warehouse_path, orders, activity)
        stage.rows_out = len(orders)
        stage.detail = {"orders": len(orders), "activity_days": len(activity)}
        del orders, activity
    with recorder.measure("training (churn + lifetime value)", "weekly") as stage:
        trained = train_predictions(day)
        stage.rows_in = trained.churn.train_rows + trained.churn.validation_rows
        stage.detail = trained.summary()
    with recorder.measure("scoring + write-back (predictions)", "nightly") as stage:
        scored = score_predictions(day)
        stage.rows_out = scored.customers
        stage.detail = scored.__dict__
    recorder.sampler.stop()
    result["stages"] = [s.to_dict() for s in recorder.stages]
    result["load_end"] = report.load_average()
    out = report.RESULTS_DIR / f"{result['date']}_{result['machine_tag']}_{args.scale}_predictions.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(render(result), encoding="utf-8")
    print(render(result))
    return 0


def render(result: dict) -> str:
    """A short Markdown report: one line per stage with time, peak memory and rows."""
    lines = [
        f"# Predictions benchmark: {result['scale']:,} buyers ({result['date']}, {result['machine_tag']}, "
        f"commit {result['code']['commit']})",
        "",
        "| stage | seconds | peak RSS (MB) | rows |",
        "|---|---:|---:|---:|",
    ]
    for s in result["stages"]:
        rows = s["rows_in"] or s["rows_out"] or ""
        lines.append(f"| {s['name']} | {s['seconds']:.1f} | {s['peak_rss_mb']:,.0f} | {rows:,} |" if rows else
                     f"| {s['name']} | {s['seconds']:.1f} | {s['peak_rss_mb']:,.0f} | |")  # fmt: skip
    training = next((s for s in result["stages"] if s["name"].startswith("training")), None)
    if training:
        churn, clv = training["detail"]["churn"], training["detail"]["clv"]
        lines += [
            "",
            f"Churn: {churn['chosen']}, ROC-AUC {churn['metrics']['roc_auc']}, {churn['train_rows']:,} training "
            f"and {churn['validation_rows']:,} validation rows. Lifetime value: normalized Gini "
            f"{clv['metrics']['normalized_gini']}, MAP fit {clv['metrics']['fit_seconds']:.1f} s on {clv['customers']:,} buyers.",
            f"Load average at start / end: {result['load_start']} / {result['load_end']}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
