"""
### customer_platform_nightly

Carries one logical date's raw drops through every stage of the platform:

1. **ingest** — one Spark task per source: landing → bronze / quarantine / silver
   (`spark_jobs.ingest`), idempotent per `ingest_date` partition.
   **sweep_erased** then removes people on the erasure suppression list from the date's
   landing, bronze and quarantine (silver never takes them in).
2. **silver_gate** — Great Expectations on the date's silver partitions; a critical
   failure stops the run here, so yesterday's marts and segments stay untouched.
3. **dbt** — the dbt project on DuckDB rendered by Cosmos: staging → identity
   resolution → marts, with `logical_date` passed as a dbt var.
4. **marts_gate** — Great Expectations on the marts.
5. **segment_customers** — scores customers with the MLflow champion (trains the first
   model when none exists) and writes `marts.customer_segments` and
   `marts.segment_history` with the MLflow run id.
6. **predict_customers** — churn probability (At-Risk above `CDP_AT_RISK_THRESHOLD`), P(alive),
   expected orders and 12-month value from the `customer_churn` and `customer_clv` champions
   (trains the first ones when none exist and the history covers two churn horizons), with
   the three strongest drivers per At-Risk customer, into `marts.customer_predictions`,
   `marts.prediction_history`, `marts.customer_predictive_segments` and
   `marts.customer_prediction_drivers`.
7. **activate_audiences**, **recommend_actions**, **measure_campaigns** — audiences and their
   exports, next best action and recommendations, campaign lift.
8. **monitor_models** — input drift (PSI) of each model against its champion's reference
   bins, segment size shift and share changes against the previous run, segmentation
   stability, and control charts of the segment KPIs, into `marts.model_monitoring`.
   **request_retraining** updates the Asset `cdp://monitoring/retraining_requested` (which
   starts `segmentation_training_weekly`) only when monitoring found critical drift; it is
   skipped otherwise.
9. **summarise_run** — rows per layer, gate warnings, segment sizes, predictions and
   monitoring to `data/runs/<date>.json`.

The stages and their order are `cdp.pipeline.NIGHTLY` (the same list `cdp backfill
--in-process` and the benchmarks run); this file only wires them. The dbt tasks are
rendered from the dbt manifest `cdp` writes (`cdp init`, `cdp run`, `cdp backfill`): no dbt
runs while Airflow parses this file. `start_date` is `CDP_START_DATE`.

Warehouse writers share the one-slot `duckdb_warehouse` pool (DuckDB is single-writer).
Re-running a date replaces that date's partitions and tables; backfills use catchup or
`airflow backfill create`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, TaskGroup, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from cdp.pipeline import NIGHTLY, Stage, cosmos_env, dag_start_date, require_dbt_manifest
from cdp.tasks import WAREHOUSE_POOL, dbt_executable, default_args, on_failure_record
from customer_platform.config import get_settings
from customer_platform.registry import get_registry

settings = get_settings()
REGISTRY = get_registry(settings)
DBT_MANIFEST = require_dbt_manifest(settings)


def python_task(stage: Stage, source: str | None = None):
    """One Airflow task running a pipeline stage (for one source) with the logical date."""
    options = {"pool": WAREHOUSE_POOL} if stage.writes_warehouse else {}
    if stage.retries is not None:
        options["retries"] = stage.retries

    @task(
        task_id=stage.task_id(source),
        outlets=[Asset(uri) for uri in stage.outlet_uris(source, REGISTRY)],
        doc_md=stage.doc,
        **options,
    )
    def nightly_stage(ds=None, run_id=None):
        from cdp.pipeline import run_stage

        return run_stage(stage.name, ds, run_id, source)

    node = nightly_stage()
    return node.as_teardown() if stage.teardown else node


def signal_task(stage: Stage, result):
    """The follow-up task of a stage with a `Signal`: updates its Asset when `result` asks, else skips."""
    signal = stage.signal

    @task(task_id=signal.task_id, outlets=[Asset(signal.uri)], doc_md=signal.doc)
    def emit_signal(stage_result: dict, ds=None, outlet_events=None):
        return signal.emit(ds, stage_result, outlet_events)

    return emit_signal(result)


def dbt_task_group(stage: Stage) -> DbtTaskGroup:
    """The dbt project as one task per node, rendered from the manifest."""
    return DbtTaskGroup(
        group_id=stage.name,
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            manifest_path=DBT_MANIFEST,
            env_vars=cosmos_env(settings),
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="customer_platform",
            target_name="duckdb",
            profiles_yml_filepath=settings.dbt_profiles_dir / "profiles.yml",
        ),
        # local (default): one dbt invocation per model, ~10 s each on 2 cores. watcher: one
        # `dbt build` whose per-model states are mirrored by sensors; it needs a scheduler
        # running tasks concurrently and deadlocks under `airflow dags test` (sequential).
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER
            if settings.dbt_execution_mode == "watcher"
            else ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=dbt_executable(),
        ),
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_ALL),
        operator_args={
            "vars": {"logical_date": "{{ ds }}"},
            **({"pool": WAREHOUSE_POOL} if stage.writes_warehouse else {}),
            **({"retries": stage.retries} if stage.retries is not None else {}),
            "install_deps": False,
            # In-process dbt keeps DuckDB open; release it so later tasks can open the file.
            "callback": "customer_platform.warehouse.release_after_cosmos_task",
        },
    )


@dag(
    dag_id="customer_platform_nightly",
    schedule="@daily",
    start_date=dag_start_date(settings),
    catchup=True,
    max_active_runs=1,
    default_args=default_args(retries=2, retry_delay=timedelta(minutes=2)),
    tags=["customer-platform", "nightly", "spark", "dbt", "great-expectations", "mlflow"],
    doc_md=__doc__,
    on_failure_callback=on_failure_record,
)
def customer_platform_nightly():
    previous = None
    for stage in NIGHTLY:
        if stage.dbt_project:
            node = dbt_task_group(stage)
        elif stage.per_source:
            with TaskGroup(group_id=stage.name) as node:
                for source in REGISTRY.active:
                    python_task(stage, source)
        else:
            node = python_task(stage)
            if stage.signal is not None:
                signal_task(stage, node)
        if previous is not None:
            previous >> node
        previous = node


customer_platform_nightly()
