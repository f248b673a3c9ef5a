"""Benchmark one scale end to end: generation, initial load, one nightly run, baselines, floors, report.

    python -m bench.run --scale 100000 [--data-root DIR] [--baseline-timeout S] [--reuse]
    python -m bench.run --scale 100000 --floors-only   # DuckDB floors for today's result of the scale

Each scale has its own data directory (`<bench_dir>/<scale>/` from configuration) holding
its landing drops, lakehouse, warehouse and MLflow store. The dataset spans two days: the
first drop (which carries a year of order history) is the initial load, the second is the
nightly run. Everything but the landing drops is removed first, so every run measures a
real initial load. The report is rewritten after every phase: a run stopped part-way
still leaves what it measured in `bench/results/`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
import traceback
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.run_args import fresh_nightly_argv, parse_args

#: Locations derived from CDP_DATA_DIR unless overridden: cleared so a scale's data stays in its folder.
_DERIVED_LOCATIONS = (
    "CDP_LANDING_DIR",
    "CDP_LAKEHOUSE_DIR",
    "CDP_WAREHOUSE_PATH",
    "CDP_DQ_DIR",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_ARTIFACT_ROOT",
    "AIRFLOW_HOME",
)


class StoppedBySignal(Exception):
    """SIGTERM arrived: the running stage is recorded as stopped and the report written."""


_STOP_REQUESTED: list[int] = []


def _stop_on_signal(signum, _frame) -> None:
    # Remembered as well as raised: Py4J turns an exception raised mid-call into its own error.
    _STOP_REQUESTED.append(signum)
    raise StoppedBySignal(f"stopped by signal {signum} (a run that could not finish in its time budget)")


def configure_environment(scale_dir: Path):
    """Point every location at `scale_dir` and return the reloaded settings."""
    from customer_platform.config import reload_settings

    os.environ["CDP_DATA_DIR"] = str(scale_dir)
    for key in _DERIVED_LOCATIONS:
        os.environ.pop(key, None)
    for key, value in {
        "GX_ANALYTICS_ENABLED": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }.items():
        os.environ.setdefault(key, value)
    return reload_settings()


def reset_platform_state(settings, scale_dir: Path) -> list[str]:
    """Remove everything the platform wrote under `scale_dir` (landing drops are kept); returns what went."""
    targets = [
        settings.lakehouse_dir,
        settings.warehouse_path.parent,
        settings.restricted_path.parent,
        settings.exports_dir,
        settings.dq_dir,
        settings.data_dir / "mlflow",
        settings.data_dir / "dbt",
        settings.run_summaries_dir,
        settings.airflow_home,
    ]
    removed = []
    for target in targets:
        # Never delete outside the benchmark's own folder, whatever the environment says.
        if target.exists() and target.resolve().is_relative_to(scale_dir.resolve()):
            shutil.rmtree(target)
            removed.append(str(target))
    return removed


def _settings_summary(settings) -> dict[str, Any]:
    keys = ("spark_master", "spark_driver_memory", "spark_shuffle_partitions", "dbt_threads")
    return {key: getattr(settings, key) for key in keys}


def run_initial(recorder, initial_date: str) -> int:
    """The first date: Spark start-up, then the nightly pipeline with the history load and the first training.

    Returns the silver rows it wrote.
    """
    from bench import stages

    stages.start_spark(recorder)
    return stages.run_pipeline(
        recorder, initial_date, f"bench_initial__{initial_date}", "initial", first=True
    )


def run_nightly(recorder, nightly_date: str, silver_rows: int) -> None:
    """One nightly run of the next date: the nightly pipeline's stages, as the DAG's tasks run them.

    Spark starts again (the initial load's JVM ended after its silver gate): the nightly pays
    its start-up, as the DAG's ingestion tasks do.
    """
    from bench import stages

    stages.start_spark(recorder, phase="nightly")
    stages.run_pipeline(
        recorder, nightly_date, f"bench_nightly__{nightly_date}", "nightly", history_rows=silver_rows
    )


def resume_nightly(recorder, result: dict[str, Any], nightly_date: str) -> None:
    """Re-run only the nightly phase on the state the initial load left (its stages are kept).

    For a run whose nightly phase failed for a reason outside the measured work; the
    report says so.
    """
    from bench.floor_runs import restore_stages

    kept = [s for s in result["stages"] if s["phase"] in {"generation", "initial", "baseline"}]
    restore_stages(recorder, kept)
    silver_rows = sum(
        s.get("rows_out") or 0 for s in kept if s["phase"] == "initial" and s["name"].startswith("ingest ")
    )
    run_nightly(recorder, nightly_date, silver_rows)


def measure_quality(settings) -> dict[str, Any]:
    """Identity P/R and segmentation ARI against the ground truth, from the quality modules when present.

    A quality measure that fails is reported as such: it must not lose the timings.
    """
    import importlib

    measures = {
        "identity": ("bench.identity_quality", "identity_metrics"),
        "segmentation": ("bench.segment_quality", "segmentation_ari"),
    }
    quality: dict[str, Any] = {}
    for label, (module_name, function_name) in measures.items():
        started = time.perf_counter()
        try:
            function = getattr(importlib.import_module(module_name), function_name)
            values = function(settings.warehouse_path, settings.truth_dir)
        except Exception as exc:  # noqa: BLE001 - reported in the result
            quality[label] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            continue
        # Keep committed results small: scalars only (no contingency tables).
        quality[label] = {k: v for k, v in values.items() if not isinstance(v, (dict, list))}
        quality[label]["seconds"] = round(time.perf_counter() - started, 1)
    return quality


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one scale and write its JSON and Markdown reports."""
    args = parse_args(argv, __doc__.splitlines()[0])
    from customer_platform.config import get_settings

    scale_dir = ((args.data_root or get_settings().bench_dir) / str(args.scale)).resolve()
    scale_dir.mkdir(parents=True, exist_ok=True)
    settings = configure_environment(scale_dir)

    from bench import report, stage_ratios, stages
    from bench.baselines import measure_baselines
    from bench.floor_runs import measure_floors, restore_stages
    from bench.monitor import RssSampler, StageRecorder
    from customer_platform.registry import get_registry

    results_dir = args.results_dir or report.RESULTS_DIR
    nightly_date = (date.fromisoformat(args.start) + timedelta(days=1)).isoformat()
    result = report.new_result(args.scale)
    result["dataset"] = {
        "customers": args.scale,
        "initial_date": args.start,
        "nightly_date": nightly_date,
        "seed": args.seed,
        "world": args.world,
        "data_dir": str(scale_dir),
    }
    result["settings"] = _settings_summary(settings)
    sampler = RssSampler().start()
    recorder = StageRecorder(sampler)

    def save() -> None:
        result["stages"] = [s.to_dict() for s in recorder.stages]
        result["summary"] = report.summarise(result["stages"])
        result["comparisons"] = report.comparisons(result["stages"])
        result["floor_ratios"] = stage_ratios.floor_ratios(result["stages"])
        result["growth"] = stage_ratios.growth(result, results_dir)
        result["load_end"] = report.load_average()
        report.write_results(result, results_dir)

    recorder.on_record = save

    def floors() -> None:
        dates = {"initial": result["dataset"]["initial_date"], "nightly": result["dataset"]["nightly_date"]}
        measure_floors(recorder, settings, get_registry(), dates, args.baseline_timeout)

    if args.floors_only:
        saved = report.result_paths(result, results_dir)[0]
        if not saved.exists():
            sys.exit(f"--floors-only: no result of scale {args.scale} from today in {saved.parent}")
        result = json.loads(saved.read_text(encoding="utf-8"))
        restore_stages(recorder, result["stages"])
        note = f"DuckDB floors measured later by `--floors-only` (code {report.code_version()['commit']})"
        result["notes"] = [n for n in result["notes"] if n != note] + [note]
        floors()
        sampler.stop()
        save()
        print(report.render_markdown(result))
        return 0
    signal.signal(signal.SIGTERM, _stop_on_signal)
    code, stopped = 0, False
    try:
        if args.resume_nightly:
            previous = json.loads(report.result_paths(result, results_dir)[0].read_text(encoding="utf-8"))
            why = [n for n in previous.get("notes", []) if n.startswith("stopped")]
            again = (
                f"nightly phase re-run in a second process: {why}"
                if why
                else "nightly phase in a new process"
            )
            result["notes"] = [*previous.get("notes", []), again]
            result["load_start"] = previous["load_start"]
            resume_nightly(recorder, previous, nightly_date)
        else:
            params = {"customers": args.scale, "start": args.start, "end": nightly_date, "seed": args.seed}
            # the demo world is left out, so datasets generated before worlds existed stay reusable
            params |= {"world": args.world} if args.world != "demo" else {}
            stages.generate_dataset(recorder, scale_dir, params, args.reuse)
            if args.generate_only:
                sampler.stop()
                save()
                return 0
            removed = reset_platform_state(settings, scale_dir)
            result["notes"].append(f"reset before the run: {len(removed)} folders")
            silver_rows = run_initial(recorder, args.start)
            if args.fresh_nightly:
                sampler.stop()
                save()
                command = fresh_nightly_argv(sys.argv[1:] if argv is None else argv)
                os.execv(sys.executable, [sys.executable, "-m", "bench.run", *command])
            run_nightly(recorder, nightly_date, silver_rows)
        result["quality"] = measure_quality(settings)
    except Exception as exc:  # noqa: BLE001 - a failed stage is a result to report, not a crash
        code, stopped = 1, isinstance(exc, StoppedBySignal) or bool(_STOP_REQUESTED)
        result["notes"].append(f"stopped: {type(exc).__name__}: {str(exc)[:500]}")
        traceback.print_exc()
    finally:
        stages.stop_spark()
    has_baselines = any(s.phase == "baseline" for s in recorder.stages)
    if not (args.skip_baselines or stopped or has_baselines):
        measure_baselines(recorder, settings.landing_dir, args.start, args.baseline_timeout)
    if not (args.skip_floors or stopped):
        floors()
    sampler.stop()
    save()
    print(report.render_markdown(result))
    return code


if __name__ == "__main__":
    sys.exit(main())
