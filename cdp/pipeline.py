"""The nightly pipeline, defined once: its stages in order.

Three runners read `NIGHTLY` and nothing else decides the sequence:
- the Airflow DAG `customer_platform_nightly` wires one task per stage (a task group with
  one task per active source for per-source stages, a Cosmos task group for the dbt
  project), in this order, with the stage's pool, retries and outlets;
- `cdp.backfill.run_nightly_in_process` calls the stages in order without Airflow;
- `bench.stages` times each stage with the same calls.

A stage's `name` is its task id in the DAG (the group id for per-source and dbt stages);
per-source tasks are `<name>.<name>_<source>`. Every stage body takes the logical date and
the run id (and the source for per-source stages) and returns something small for XCom. A
stage with a `Signal` gets one follow-up task in the DAG that updates an Asset only when the
stage's result asks for it (monitoring requesting a retraining); elsewhere the result says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp import tasks
from cdp.stage import Signal, Stage
from customer_platform.config import SECRET_ENV_VARS, Settings, get_settings, parse_iso_date
from customer_platform.registry import Registry, get_registry
from customer_platform.warehouse import dbt_build, dbt_env, dbt_manifest_path

#: Tables the marts gate and the segmentation publish (Assets other DAGs can wait on).
FEATURES_TABLE = "marts.customer_features"
SEGMENTS_TABLE = "marts.customer_segments"
PREDICTIONS_TABLE = "marts.customer_predictions"
AUDIENCES_TABLE = "marts.audience_members"
CAMPAIGN_RESULTS_TABLE = "marts.campaign_results"
ACTIONS_TABLE = "marts.next_best_action"
MONITORING_TABLE = "marts.model_monitoring"
#: Updated when monitoring finds critical drift; `segmentation_training_weekly` runs on it (and on Sundays).
RETRAINING_REQUESTED = "cdp://monitoring/retraining_requested"


def _sweep_erased(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_erasure_sweep(ds)


def _silver_gate(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_quality_gate("silver", ds, run_id)


def _build_warehouse(ds: str, run_id: str) -> dict[str, str]:
    dbt_build(ds)
    return {"logical_date": ds}


def _marts_gate(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_quality_gate("marts", ds, run_id)


def _segment_customers(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_segmentation(ds)


def _predict_customers(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_predictions(ds)


def _activate_audiences(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_activation(ds)


def _recommend_actions(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_personalisation(ds)


def _measure_campaigns(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_campaign_measurement(ds)


def _monitor_models(ds: str, run_id: str) -> dict[str, Any]:
    return tasks.run_monitoring(ds)


def _summarise_run(ds: str, run_id: str) -> str:
    return tasks.write_run_summary(ds, run_id)


def _seal_restricted(ds: str, run_id: str) -> dict[str, Any]:
    from customer_platform.restricted_store import seal_restricted

    return seal_restricted()


NIGHTLY: tuple[Stage, ...] = (
    Stage(
        "ingest",
        "ingest",
        tasks.run_ingestion,
        "Spark: the source's drop → bronze, quarantine, silver.",
        per_source=True,
        silver_outlet=True,
    ),
    Stage(
        "sweep_erased",
        "erasure sweep",
        _sweep_erased,
        "Removes erased (suppressed) people from the date's landing, bronze and quarantine.",
    ),
    Stage(
        "silver_gate",
        "silver gate",
        _silver_gate,
        "Great Expectations gate on the date's silver partitions.",
        retries=0,
    ),
    Stage(
        "dbt",
        "dbt build",
        _build_warehouse,
        "The dbt project on DuckDB: staging → identity resolution → marts.",
        dbt_project=True,
        writes_warehouse=True,
        retries=1,
    ),
    Stage(
        "marts_gate",
        "marts gate",
        _marts_gate,
        "Great Expectations gate on the marts.",
        writes_warehouse=True,
        outlets=(FEATURES_TABLE,),
        retries=0,
    ),
    Stage(
        "segment_customers",
        "scoring + write-back",
        _segment_customers,
        "Champion scoring and write-back of segments.",
        writes_warehouse=True,
        outlets=(SEGMENTS_TABLE,),
    ),
    Stage(
        "predict_customers",
        "churn + lifetime value",
        _predict_customers,
        "Champion churn and lifetime-value scoring, At-Risk and value tiers, drivers, write-back.",
        writes_warehouse=True,
        outlets=(PREDICTIONS_TABLE,),
    ),
    Stage(
        "activate_audiences",
        "audiences + exports",
        _activate_audiences,
        "Audiences as code: members with consent and holdouts, file exports, webhook syncs, audit.",
        writes_warehouse=True,
        outlets=(AUDIENCES_TABLE,),
    ),
    Stage(
        "recommend_actions",
        "next best action + recommendations",
        _recommend_actions,
        "Action rules (one winner per customer and channel) and co-purchase product recommendations.",
        writes_warehouse=True,
        outlets=(ACTIONS_TABLE,),
    ),
    Stage(
        "measure_campaigns",
        "campaign lift",
        _measure_campaigns,
        "Treatment against holdout per campaign and segment; the HTML campaign report.",
        writes_warehouse=True,
        outlets=(CAMPAIGN_RESULTS_TABLE,),
    ),
    Stage(
        "monitor_models",
        "drift + stability monitoring",
        _monitor_models,
        "Input drift (PSI) against each champion's reference, segment shifts and stability, KPI anomalies.",
        writes_warehouse=True,
        outlets=(MONITORING_TABLE,),
        signal=Signal(
            "request_retraining",
            RETRAINING_REQUESTED,
            "retraining_requested",
            "retraining_reasons",
            "Updates the retraining Asset (the weekly training DAG runs on it) when monitoring found "
            "critical drift; skipped otherwise.",
        ),
    ),
    Stage(
        "summarise_run",
        "run summary",
        _summarise_run,
        "Writes the run summary (rows per layer, warnings, segments).",
        retries=0,
    ),
    Stage(
        "seal_restricted",
        "seal the restricted database",
        _seal_restricted,
        "Encrypts the restricted database (raw identifiers) at rest and deletes its plaintext working "
        "copy; runs whether or not the stages before it succeeded.",
        teardown=True,
    ),
)


def get_stage(name: str) -> Stage:
    """The nightly stage called `name`; KeyError names the stages."""
    for stage in NIGHTLY:
        if stage.name == name:
            return stage
    raise KeyError(f"no nightly stage {name!r}; stages: {', '.join(s.name for s in NIGHTLY)}")


def run_stage(name: str, ds: str | None, run_id: str | None, source: str | None = None) -> Any:
    """What a nightly DAG task runs: the stage `name` for the logical date (and source)."""
    if not ds:
        raise ValueError("logical date (ds) is required")
    return get_stage(name).run(ds, run_id or f"manual__{ds}", source)


def task_ids(registry: Registry | None = None) -> list[str]:
    """The DAG's non-dbt task ids in pipeline order (dbt node tasks are `dbt.*`, from the manifest)."""
    registry = registry or get_registry()
    ids: list[str] = []
    for stage in NIGHTLY:
        if stage.per_source:
            ids += [f"{stage.name}.{stage.task_id(source)}" for source in registry.active]
        elif not stage.dbt_project:
            ids.append(stage.name)
        if stage.signal is not None:
            ids.append(stage.signal.task_id)
    return ids


def dag_start_date(settings: Settings | None = None) -> datetime:
    """The nightly DAG's start_date: CDP_START_DATE at midnight UTC."""
    settings = settings or get_settings()
    day = parse_iso_date(settings.start_date, "CDP_START_DATE")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def cosmos_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment of the Cosmos dbt tasks: `dbt_env` with the templated logical date and the active sources.

    dbt's target and log paths are left to Cosmos (a temporary copy per task), so a task never
    rewrites the manifest the DAG is rendered from while a DAG processor reads it.
    """
    env = dbt_env("{{ ds }}", settings or get_settings())
    # Secrets stay in the worker's own environment (dbt runs in-process and inherits it):
    # task arguments are stored and shown as rendered templates by Airflow.
    for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH", *SECRET_ENV_VARS):
        env.pop(key, None)
    return env


def require_dbt_manifest(settings: Settings | None = None) -> Path:
    """The dbt manifest the DAG is rendered from; FileNotFoundError saying how to write it when missing."""
    path = dbt_manifest_path(settings or get_settings())
    if not path.is_file():
        raise FileNotFoundError(
            f"the dbt manifest {path} is missing: run `cdp init` (or `cdp run` / `cdp backfill`), which parses "
            "the dbt project with the active sources, before Airflow parses customer_platform_nightly"
        )
    return path
