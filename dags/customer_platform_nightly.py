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
6. **summarise_run** — rows per layer, gate warnings and segment sizes to
   `data/runs/<date>.json`.

Warehouse writers share the one-slot `duckdb_warehouse` pool (DuckDB is single-writer).
Re-running a date replaces that date's partitions and tables; backfills use catchup or
`airflow backfill create`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Asset, dag, task, task_group
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from customer_platform.config import get_settings
from cdp.tasks import (
    WAREHOUSE_POOL,
    dbt_executable,
    default_args,
    on_failure_record,
    silver_asset_uri,
    warehouse_asset_uri,
)
from customer_platform.registry import get_registry

settings = get_settings()
REGISTRY = get_registry(settings)

SILVER_ASSETS = {name: Asset(silver_asset_uri(table)) for name, table in REGISTRY.silver_tables.items()}
SEGMENTS_ASSET = Asset(warehouse_asset_uri("marts.customer_segments"))
MARTS_ASSET = Asset(warehouse_asset_uri("marts.customer_features"))


@dag(
    dag_id="customer_platform_nightly",
    schedule="@daily",
    start_date=datetime(2026, 6, 1),
    catchup=True,
    max_active_runs=1,
    default_args=default_args(retries=2, retry_delay=timedelta(minutes=2)),
    tags=["customer-platform", "nightly", "spark", "dbt", "great-expectations", "mlflow"],
    doc_md=__doc__,
    on_failure_callback=on_failure_record,
)
def customer_platform_nightly():
    @task_group(group_id="ingest")
    def ingest():
        for source in REGISTRY.active:

            @task(task_id=f"ingest_{source}", outlets=[SILVER_ASSETS[source]], doc_md=f"Spark: {source} drop → bronze, quarantine, silver.")
            def ingest_source(source_name: str = source, ds=None, run_id=None) -> dict:
                from cdp.tasks import run_ingestion

                return run_ingestion(source_name, ds, run_id)

            ingest_source()

    @task(doc_md="Removes erased (suppressed) people from the date's landing, bronze and quarantine.")
    def sweep_erased(ds=None) -> dict:
        from cdp.tasks import run_erasure_sweep

        return run_erasure_sweep(ds)

    @task(retries=0, doc_md="Great Expectations gate on the date's silver partitions.")
    def silver_gate(ds=None, run_id=None) -> dict:
        from cdp.tasks import run_quality_gate

        return run_quality_gate("silver", ds, run_id)

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            env_vars=settings.as_env(),
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="customer_platform",
            target_name="duckdb",
            profiles_yml_filepath=settings.dbt_profiles_dir / "profiles.yml",
        ),
        # dbt runs in a subprocess so its DuckDB connection is closed when each task ends
        # (DuckDB allows one writer; later tasks in the same worker process open the file).
        # local (default): one dbt invocation per model, ~10 s each on 2 cores. watcher: one
        # `dbt build` whose per-model states are mirrored by sensors; it needs a scheduler
        # running tasks concurrently and deadlocks under `airflow dags test` (sequential).
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER if settings.dbt_execution_mode == "watcher" else ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=dbt_executable(),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            test_behavior=TestBehavior.AFTER_ALL,
            enable_mock_profile=False,
        ),
        operator_args={
            "vars": {"logical_date": "{{ ds }}"},
            "pool": WAREHOUSE_POOL,
            "install_deps": False,
            # In-process dbt keeps DuckDB open; release it so later tasks can open the file.
            "callback": "customer_platform.warehouse.release_after_cosmos_task",
            "retries": 1,
        },
    )

    @task(retries=0, pool=WAREHOUSE_POOL, outlets=[MARTS_ASSET], doc_md="Great Expectations gate on the marts.")
    def marts_gate(ds=None, run_id=None) -> dict:
        from cdp.tasks import run_quality_gate

        return run_quality_gate("marts", ds, run_id)

    @task(pool=WAREHOUSE_POOL, outlets=[SEGMENTS_ASSET], doc_md="Champion scoring and write-back of segments.")
    def segment_customers(ds=None) -> dict:
        from cdp.tasks import run_segmentation

        return run_segmentation(ds)

    @task(retries=0, doc_md="Writes the run summary (rows per layer, warnings, segments).")
    def summarise_run(ds=None, run_id=None) -> str:
        from cdp.tasks import write_run_summary

        return write_run_summary(ds, run_id)

    gate_silver = silver_gate()
    gate_marts = marts_gate()
    ingest() >> sweep_erased() >> gate_silver >> dbt >> gate_marts >> segment_customers() >> summarise_run()


customer_platform_nightly()
