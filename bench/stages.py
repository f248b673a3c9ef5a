"""The platform's stages, measured one by one with the same package code the nightly DAG calls.

Airflow is not in the loop: `run_pipeline` walks the nightly pipeline's stages
(`cdp.pipeline.NIGHTLY`, the list the DAG wires) and times each one, in one process, so the
figures are the work itself without the scheduler's per-task start-up. dbt runs as one
`dbt build` (the DAG's Cosmos task group runs one invocation per model, which adds a few
seconds per model on top). The benchmark's first date is the history load: its ingestion
is `ingest_dates` (as `cdp initial-load`) and the first model is trained before scoring.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from bench.baselines import run_measured
from bench.model_stages import (
    init_model_store,
    prediction_detail,
    scoring_detail,
    train_models,
    train_prediction_models,
)
from bench.monitor import Stage, StageRecorder
from cdp.pipeline import NIGHTLY
from cdp.pipeline import Stage as PipelineStage
from customer_platform.config import get_settings
from customer_platform.registry import get_registry
from customer_platform.warehouse import dbt_target_dir

#: dbt Python models that resolve identities (union-find, the kept Splink model, Splink), reported on their own.
IDENTITY_MODELS = (
    "int_identity_records_clustered",
    "int_identity_match_model",
    "int_identity_clusters_linked",
)
#: Marts counted after each dbt build (rows out of the warehouse stage).
COUNTED_MARTS = ("customer_identity_map", "dim_customers", "fct_orders", "customer_rfm", "customer_features")
_STARTED_SESSIONS: list = []
_DATAGEN_LINE = re.compile(r"datagen: (\d+) persons, (\d+) lines in (\d+) files, (\d+) truth identities")


def generation_marker(scale_dir: Path) -> Path:
    """Where the generation parameters and timing of a scale's dataset are kept (beside, not in, landing)."""
    return scale_dir / "generation.json"


def generate_dataset(recorder: StageRecorder, scale_dir: Path, params: dict[str, Any], reuse: bool) -> Stage:
    """Generate the landing drops (in a subprocess, so its memory is its own), or reuse them.

    params: `python -m datagen generate` options by name (customers, start, end, seed, and
    world unless it is the demo's). reuse: keep an existing dataset generated with the same
    parameters; the stage then reports the original generation's figures with status "reused".
    """
    landing = get_settings().landing_dir
    marker = generation_marker(scale_dir)
    if reuse and marker.exists() and landing.exists():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("params") == params:
            known = {f.name for f in fields(Stage)}
            stage = Stage(
                **{k: v for k, v in saved["stage"].items() if k in known and k != "status"}, status="reused"
            )
            return recorder.add(stage)
    options = [f"--{name}={value}" for name, value in params.items()]
    command = [
        sys.executable,
        "-m",
        "datagen",
        "generate",
        *options,
        "--out",
        str(landing),
        "--force",
        "--no-progress",
    ]
    run = run_measured(command)
    if run.returncode != 0:
        raise RuntimeError(f"datagen failed ({run.returncode}): {run.stderr[-2000:]}")
    match = _DATAGEN_LINE.search(run.stdout)
    stage = Stage(
        name="generation",
        phase="generation",
        seconds=run.seconds,
        peak_rss_mb=run.peak_rss_mb,
        rows_out=int(match.group(2)) if match else None,
        detail={
            "files": int(match.group(3)) if match else None,
            "truth_identities": int(match.group(4)) if match else None,
        },
    )
    marker.write_text(json.dumps({"params": params, "stage": asdict(stage)}, indent=2))
    return recorder.add(stage)


def start_spark(recorder: StageRecorder, phase: str = "initial"):
    """Start the process-wide SparkSession (JVM start-up is a fixed cost reported on its own)."""
    from spark_jobs.session import get_spark

    with recorder.measure("spark start-up", phase) as stage:
        spark = get_spark("customer-platform-bench")
        _STARTED_SESSIONS.append(spark)
        spark.range(1).count()  # the first job pays executor start-up; count it here, not in a source
        stage.detail = {
            "master": spark.sparkContext.master,
            "default_parallelism": spark.sparkContext.defaultParallelism,
        }
    return spark


def _fill_from_manifest(stage: Stage, manifest: dict[str, Any]) -> None:
    stage.rows_in = int(manifest.get("rows_read", 0))
    stage.rows_out = int(manifest.get("rows_silver", 0))
    stage.detail = {
        key: manifest.get(key)
        for key in ("rows_bronze", "rows_quarantined", "rows_silver", "rows_duplicates", "seconds")
    }


def _history_ingestion(source: str, logical_date: str, run_id: str) -> dict[str, Any]:
    """The first date's ingestion as the history load does it (`ingest_dates`, as `cdp initial-load`)."""
    from spark_jobs.ingest import ingest_dates

    return ingest_dates(source, [logical_date], run_id=run_id)[0]


def _gate_detail(stage: Stage, result: dict[str, Any], rows_in: int | None) -> None:
    stage.rows_in = rows_in
    stage.detail = {
        "expectations": result.get("expectations"),
        "warnings": len(result.get("warnings") or []),
        "success": result.get("success"),
    }
    if result.get("rows"):  # the marts gate: rows of each suite's table and how many GX validated
        stage.detail["table_rows"] = sum(int(c["rows"]) for c in result["rows"].values())
        stage.detail["validated_rows"] = sum(int(c["validated"]) for c in result["rows"].values())


def _measure_stage(
    recorder: StageRecorder,
    step: PipelineStage,
    logical_date: str,
    run_id: str,
    phase: str,
    rows: dict[str, int],
) -> None:
    """Run and time one non-per-source pipeline stage; fill rows and detail where the stage has them.

    rows: "date" (silver rows written for this date) and "total" (all silver rows so far).
    """
    with recorder.measure(step.label_for(), phase) as stage:
        result = step.run(logical_date, run_id)
        if step.name == "silver_gate":
            _gate_detail(stage, result, rows["date"])
        elif step.name == "marts_gate":
            _gate_detail(stage, result, None)
        elif step.dbt_project:
            stage.rows_in = rows["total"]
        elif step.name == "segment_customers":
            scoring_detail(stage, result)
        elif step.name == "predict_customers":
            prediction_detail(stage, result)
    if step.dbt_project:
        _add_dbt_detail(recorder, stage, phase)


def run_pipeline(
    recorder: StageRecorder,
    logical_date: str,
    run_id: str,
    phase: str,
    history_rows: int = 0,
    first: bool = False,
) -> int:
    """Every stage of the nightly pipeline for one date, in the pipeline's order, each timed; returns silver rows.

    history_rows: silver rows already in the lakehouse (the dbt stage's input is all of them).
    first: the benchmark's first date: history-load ingestion, the model store created and the
    first model trained just before scoring (what the first night's `run_nightly` does).
    """
    rows = {"date": 0, "total": history_rows}
    for step in NIGHTLY:
        if step.per_source:
            body = _history_ingestion if first and step.silver_outlet else step.body
            for source in get_registry().active:
                with recorder.measure(step.label_for(source), phase) as stage:
                    manifest = body(source, logical_date, run_id)
                    if step.silver_outlet:
                        _fill_from_manifest(stage, manifest)
                        rows["date"] += int(manifest.get("rows_silver", 0))
            rows["total"] = history_rows + rows["date"]
            continue
        if first and step.name == "segment_customers":
            init_model_store(recorder)
            train_models(recorder, logical_date)
        if first and step.name == "predict_customers":
            train_prediction_models(recorder, logical_date)
        _measure_stage(recorder, step, logical_date, run_id, phase, rows)
        if step.name == "silver_gate":
            stop_spark()  # the last Spark task of the DAG: its process, and JVM, end here
    return rows["date"]


def _marts_counts() -> dict[str, int]:
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        return {
            name: con.execute(f"select count(*) from marts.{name}").fetchone()[0] for name in COUNTED_MARTS
        }
    finally:
        con.close()


def dbt_node_timings() -> list[dict[str, Any]]:
    """Per-node timings of the last dbt invocation (run_results.json in the configured target path)."""
    path = dbt_target_dir() / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text(encoding="utf-8")).get("results", [])
    return [
        {
            "unique_id": r["unique_id"],
            "name": r["unique_id"].split(".")[-1],
            "kind": r["unique_id"].split(".")[0],
            "status": r.get("status"),
            "seconds": round(float(r.get("execution_time") or 0.0), 3),
        }
        for r in results
    ]


def _add_dbt_detail(recorder: StageRecorder, stage: Stage, phase: str) -> None:
    """Marts rows and per-model timings of the dbt build just measured; identity models and the RFM mart as sub-stages."""
    counts = _marts_counts()
    stage.rows_out = counts.get("customer_identity_map")
    nodes = dbt_node_timings()
    models = sorted((n for n in nodes if n["kind"] == "model"), key=lambda n: -n["seconds"])
    stage.detail = {
        "marts_rows": counts,
        "models_seconds": round(sum(n["seconds"] for n in models), 1),
        "tests_seconds": round(sum(n["seconds"] for n in nodes if n["kind"] in {"test", "unit_test"}), 1),
        "nodes": len(nodes),
        "slowest_models": [{k: n[k] for k in ("name", "seconds")} for n in models[:15]],
    }
    # Identity models are measured by the source records they resolve, the RFM mart by its customers.
    sub_stages = dict.fromkeys(IDENTITY_MODELS, ("identity resolution", "customer_identity_map"))
    sub_stages["customer_rfm"] = ("rfm mart", "customer_rfm")
    for node in models:
        if node["name"] in sub_stages:
            label, table = sub_stages[node["name"]]
            ok = str(node["status"]).lower() in {"success", "pass", "ok"}
            sub = Stage(
                name=f"  dbt model {node['name']}",
                phase=phase,
                seconds=node["seconds"],
                peak_rss_mb=stage.peak_rss_mb,
                rows_out=counts.get(table),
                status="ok" if ok else "failed",
                note=f"{label}; inside dbt build (peak RSS: the build's)",
                detail={"sub_stage_of": "dbt build"},
            )
            recorder.add(sub)


def stop_spark() -> None:
    """Stop the benchmark's SparkSession and its JVM, so the JVM's heap is released.

    The nightly DAG runs Spark only in its ingestion and silver-gate tasks, each a process of
    its own whose JVM exits with it; the benchmark does the same after the silver gate, so the
    later stages' peak RSS is not inflated by an idle JVM.
    """
    from pyspark import SparkContext

    if not _STARTED_SESSIONS:
        return  # a session the benchmark did not start (a caller's, a test's) is left alone
    while _STARTED_SESSIONS:
        _STARTED_SESSIONS.pop().stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None:
        process.terminate()
        process.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None
