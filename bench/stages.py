"""The platform's stages, measured one by one with the same package code the nightly DAG calls.

Airflow is not in the loop: each stage calls the function the DAG task body calls
(`cdp.tasks`, `spark_jobs.ingest`, `customer_platform.warehouse`,
`models`), in one process, so the figures are the work itself without the scheduler's
per-task start-up. dbt runs as one `dbt build` (the DAG's Cosmos task group runs one
invocation per model, which adds a few seconds per model on top).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from bench.baselines import run_measured
from bench.monitor import Stage, StageRecorder
from customer_platform.config import get_settings
from customer_platform.registry import get_registry

#: dbt Python models that resolve identities (union-find, then Splink), reported on their own.
IDENTITY_MODELS = ("int_identity_records_clustered", "int_identity_clusters_linked")
#: Marts counted after each dbt build (rows out of the warehouse stage).
COUNTED_MARTS = ("customer_identity_map", "dim_customers", "fct_orders", "customer_rfm", "customer_features")
_STARTED_SESSIONS: list = []
_DATAGEN_LINE = re.compile(r"datagen: (\d+) persons, (\d+) lines in (\d+) files, (\d+) truth identities")


def generation_marker(scale_dir: Path) -> Path:
    """Where the generation parameters and timing of a scale's dataset are kept (beside, not in, landing)."""
    return scale_dir / "generation.json"


def generate_dataset(
    recorder: StageRecorder, scale_dir: Path, customers: int, start: str, end: str, seed: int, reuse: bool
) -> Stage:
    """Generate the landing drops (in a subprocess, so its memory is its own), or reuse them.

    reuse: keep an existing dataset generated with the same parameters; the stage then
    reports the original generation's figures with status "reused".
    """
    landing = get_settings().landing_dir
    marker = generation_marker(scale_dir)
    params = {"customers": customers, "start": start, "end": end, "seed": seed}
    if reuse and marker.exists() and landing.exists():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("params") == params:
            known = {f.name for f in fields(Stage)}
            stage = Stage(
                **{k: v for k, v in saved["stage"].items() if k in known and k != "status"}, status="reused"
            )
            return recorder.add(stage)
    command = [
        sys.executable,
        "-m",
        "datagen",
        "generate",
        "--customers",
        str(customers),
        "--start",
        start,
        "--end",
        end,
        "--seed",
        str(seed),
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


def ingest_initial(recorder: StageRecorder, logical_date: str, run_id: str) -> list[dict[str, Any]]:
    """Initial load: every source's first drop (it carries the order history) with `ingest_dates`, as `cdp initial-load`."""
    from spark_jobs.ingest import ingest_dates

    manifests = []
    for source in get_registry().active:
        with recorder.measure(f"ingest {source}", "initial") as stage:
            manifest = ingest_dates(source, [logical_date], run_id=run_id)[0]
            _fill_from_manifest(stage, manifest)
        manifests.append(manifest)
    return manifests


def ingest_nightly(recorder: StageRecorder, logical_date: str, run_id: str) -> list[dict[str, Any]]:
    """Nightly ingestion: the DAG's `ingest_<source>` task body for each source."""
    from cdp.tasks import run_ingestion

    manifests = []
    for source in get_registry().active:
        with recorder.measure(f"ingest {source}", "nightly") as stage:
            manifest = run_ingestion(source, logical_date, run_id)
            _fill_from_manifest(stage, manifest)
        manifests.append(manifest)
    return manifests


def quality_gate(
    recorder: StageRecorder, gate: str, logical_date: str, run_id: str, phase: str, rows_in: int | None
) -> dict[str, Any]:
    """The DAG's `silver_gate` / `marts_gate` task body; raises on a critical failure."""
    from cdp.tasks import run_quality_gate

    with recorder.measure(f"{gate} gate", phase) as stage:
        result = run_quality_gate(gate, logical_date, run_id)
        stage.rows_in = rows_in
        stage.detail = {
            "expectations": result.get("expectations"),
            "warnings": len(result.get("warnings") or []),
            "success": result.get("success"),
        }
    return result


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
    path = get_settings().data_dir / "dbt" / "target" / "run_results.json"
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


def build_warehouse(
    recorder: StageRecorder, logical_date: str, phase: str, silver_rows: int
) -> dict[str, int]:
    """`dbt build` for the date; identity models and the slowest models are added as sub-stages."""
    from customer_platform.warehouse import dbt_build

    with recorder.measure("dbt build", phase) as stage:
        dbt_build(logical_date)
        stage.rows_in = silver_rows
    counts = _marts_counts()
    stage.rows_out = counts.get("customer_identity_map")
    nodes = dbt_node_timings()
    models = sorted((n for n in nodes if n["kind"] == "model"), key=lambda n: -n["seconds"])
    stage.detail = {
        "marts_rows": counts,
        "models_seconds": round(sum(n["seconds"] for n in models), 1),
        "tests_seconds": round(sum(n["seconds"] for n in nodes if n["kind"] in {"test", "unit_test"}), 1),
        "nodes": len(nodes),
        "slowest_models": [{k: n[k] for k in ("name", "seconds")} for n in models[:8]],
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
    return counts


def init_model_store(recorder: StageRecorder) -> None:
    """Create the MLflow store and experiment (a one-time schema migration on a new SQLite store)."""
    from models.registry import configure_mlflow

    with recorder.measure("mlflow store init", "initial"):
        configure_mlflow()


def train_models(recorder: StageRecorder, logical_date: str) -> dict[str, Any]:
    """Model selection, MLflow logging and registration (the first night's `run_nightly` does the same)."""
    from models.training import train

    with recorder.measure("training (selection)", "initial") as stage:
        result = train(logical_date)
        stage.rows_in = result.row_count
        stage.detail = {
            key: value
            for key, value in result.summary().items()
            if key in {"algorithm", "k", "silhouette", "model_version", "is_champion"}
        }
    return result.summary()


def score_segments(recorder: StageRecorder, logical_date: str, phase: str) -> dict[str, Any]:
    """Champion scoring and write-back of `marts.customer_segments` / `segment_history`."""
    from cdp.tasks import run_segmentation

    with recorder.measure("scoring + write-back", phase) as stage:
        result = run_segmentation(logical_date)
        scored = result["scored"]
        stage.rows_in = stage.rows_out = int(scored["rows"])
        stage.detail = {
            "model_version": scored["model_version"],
            "stability_ari": scored["stability_ari"],
            "segments": len(scored["segment_counts"]),
            "trained": result["trained"] is not None,
        }
    return result


def stop_spark() -> None:
    """Stop the benchmark's SparkSession (if one was started) so its executors' memory is released."""
    while _STARTED_SESSIONS:
        _STARTED_SESSIONS.pop().stop()
