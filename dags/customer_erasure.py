"""
### customer_erasure

Erases one person everywhere (GDPR right to be forgotten). Airflow keeps a run's conf, XComs
and task logs, so no identifier ever reaches it: queue the request first (its identifiers go to
an owner-only file under the data folder), then trigger with the request id only:

    cdp erase --queue --email ann@example.com --customer-id C0000123     # prints the request id
    airflow dags trigger customer_erasure --conf '{"request_id": "erasure-1a2b3c4d5e6f7a8b"}'

(`cdp erase --airflow ...` does both and runs the DAG at once with `airflow dags test`.)

1. **resolve_targets** — the unified customer(s) holding any identifier in the warehouse
   identity graph, every linked source record, and the records in silver that carry them
   (the person need not be in the warehouse yet). The ids and hashes are kept beside the
   queued request; XCom and the log get counts only. A conf with identifiers, or an unknown
   request id, fails here, naming the field and never the value.
2. **suppress** — appends keyed hashes of the ids and hashes to the suppression list, so
   ingestion drops the person from silver on every later run (before anything is purged, so
   a concurrent nightly cannot bring them back).
3. **purge_exports** — their rows from every export file (read before the warehouse purge:
   the ads match keys come from the warehouse contacts).
4. **purge_lakehouse** — their lines from landing and their rows from bronze, quarantine and
   silver (only affected partitions are rewritten, with the same staged swap ingestion uses).
5. **purge_warehouse** — their rows from every table of every warehouse schema, segment and
   activation history included, in one DuckDB transaction.
6. **purge_files** — their values replaced in warehouse text cells and in every other file
   under the data folder (run summaries, GX results and Data Docs, Airflow and dbt logs,
   MLflow artifacts, reports), and their rows dropped from any other Parquet file.
7. **compact_warehouse** — the warehouse rebuilt into a fresh file and swapped in, so the
   deleted rows leave no bytes behind.
8. **record_audit** — appends the audit record (request id, time, rows removed per layer,
   number of unified customers; no personal data) to `audit.erasure_requests` and the JSONL
   log, then deletes the queued request's file.

Every step is idempotent: re-running a request removes nothing and records `already_erased`.
Warehouse tasks share the one-slot `duckdb_warehouse` pool; one erasure runs at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, chain, dag, task

from cdp.tasks import WAREHOUSE_POOL, default_args, on_failure_record


@dag(
    dag_id="customer_erasure",
    schedule=None,
    start_date=datetime(2026, 6, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_delay=timedelta(minutes=2)),
    tags=["customer-platform", "erasure", "gdpr"],
    doc_md=__doc__,
    on_failure_callback=on_failure_record,
    params={
        "request_id": Param(
            None, type=["null", "string"], description="id of a queued request (cdp erase --queue)"
        )
    },
)
def customer_erasure():
    @task(
        pool=WAREHOUSE_POOL,
        doc_md="Unified customers, linked records, ids and hashes, kept beside the request.",
    )
    def resolve_targets(params=None) -> dict:
        from privacy.erase import resolve_queued
        from privacy.request import request_id_from_conf

        return resolve_queued(request_id_from_conf(params))

    @task(doc_md="Append keyed hashes of the person's ids and hashes to the suppression list.")
    def suppress(resolved: dict) -> int:
        from privacy.erase import run_queued_step

        return run_queued_step("suppress", resolved["request_id"])

    @task(pool=WAREHOUSE_POOL, doc_md="Remove the person from every export file.")
    def purge_exports(resolved: dict) -> dict:
        from privacy.erase import run_queued_step

        return run_queued_step("exports", resolved["request_id"])

    @task(doc_md="Remove the person from landing, bronze, quarantine and silver.")
    def purge_lakehouse(resolved: dict) -> dict:
        from privacy.erase import run_queued_step

        return run_queued_step("lakehouse", resolved["request_id"])

    @task(pool=WAREHOUSE_POOL, doc_md="Remove the person from every warehouse table and segment history.")
    def purge_warehouse(resolved: dict) -> dict:
        from privacy.erase import run_queued_step

        return run_queued_step("warehouse", resolved["request_id"])

    @task(
        pool=WAREHOUSE_POOL,
        doc_md="Replace the person's values in warehouse text cells and every other file.",
    )
    def purge_files(resolved: dict) -> dict:
        from privacy.erase import run_queued_step

        return run_queued_step("files", resolved["request_id"])

    @task(
        pool=WAREHOUSE_POOL, doc_md="Rebuild the warehouse into a fresh file, so deleted rows leave no bytes."
    )
    def compact_warehouse(resolved: dict) -> bool:
        from privacy.erase import run_queued_step

        return run_queued_step("compact", resolved["request_id"])

    @task(
        pool=WAREHOUSE_POOL,
        doc_md="Append the audit record (counts per layer, no PII); delete the queued request.",
    )
    def record_audit(resolved: dict, suppressed: int, compacted: bool, counts: list) -> dict:
        from privacy.erase import finish_queued

        return finish_queued(resolved["request_id"], suppressed, counts, compacted)

    resolved = resolve_targets()
    suppressed = suppress(resolved)
    # Suppress first, so a nightly run in between cannot bring back what was purged; exports
    # before the warehouse (their match keys come from its contacts); files, then the rebuild.
    steps = [
        purge_exports(resolved),
        purge_lakehouse(resolved),
        purge_warehouse(resolved),
        purge_files(resolved),
    ]
    compacted = compact_warehouse(resolved)
    chain(suppressed, *steps, compacted)
    record_audit(resolved, suppressed, compacted, steps)


customer_erasure()
