"""
### customer_erasure

Erases one person everywhere (GDPR right to be forgotten). Trigger it by hand with the
person's identifiers; each may be a string or a list:

    airflow dags trigger customer_erasure --conf '{"email": "ann@example.com", "crm_customer_id": "C0000123"}'

1. **resolve_targets** — the unified customer(s) holding any identifier in the warehouse
   identity graph, every linked source record, and the records in silver that carry them
   (the person need not be in the warehouse yet). Only ids and salted hashes leave this
   task: XCom never holds a raw email or phone. A bad or empty conf fails here, naming the field.
2. **suppress** — appends the ids and hashes to the suppression list, so ingestion drops
   the person from silver on every later run (before anything is purged, so a concurrent
   nightly cannot bring them back).
3. **purge_lakehouse** — removes their lines from landing and their rows from bronze,
   quarantine and silver (only affected partitions are rewritten, with the same staged
   swap ingestion uses).
4. **purge_warehouse** — deletes their rows from every table of every warehouse schema,
   segment history included, in one DuckDB transaction.
5. **record_audit** — appends the audit record (request id, time, rows removed per layer,
   number of unified customers; no personal data) to `audit.erasure_requests` and the JSONL log.

Every step is idempotent: re-running a request removes nothing and records `already_erased`.
Warehouse tasks share the one-slot `duckdb_warehouse` pool; one erasure runs at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from cdp.tasks import WAREHOUSE_POOL, default_args, on_failure_record

_IDENTIFIER = {"type": ["null", "string", "array"], "items": {"type": "string"}}


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
        "email": Param(None, description="email address(es) of the person", **_IDENTIFIER),
        "phone": Param(None, description="phone number(s) of the person", **_IDENTIFIER),
        "crm_customer_id": Param(None, description="CRM customer id(s)", **_IDENTIFIER),
        "request_id": Param(None, type=["null", "string"], description="ticket id for the audit (optional)"),
    },
)
def customer_erasure():
    @task(pool=WAREHOUSE_POOL, doc_md="Unified customers, linked records, ids and hashes (no raw PII).")
    def resolve_targets(params=None) -> dict:
        from privacy.request import ErasureRequest
        from privacy.targets import resolve_erasure_targets

        return resolve_erasure_targets(ErasureRequest.from_conf(params)).to_dict()

    @task(doc_md="Append the person's ids and hashes to the suppression list.")
    def suppress(targets: dict) -> int:
        from privacy.audit import append_to_suppression_list
        from privacy.targets import ErasureTargets

        return append_to_suppression_list(ErasureTargets.from_dict(targets))

    @task(doc_md="Remove the person from landing, bronze, quarantine and silver.")
    def purge_lakehouse(targets: dict) -> dict:
        from privacy.purge import purge_lakehouse
        from privacy.targets import ErasureTargets

        return purge_lakehouse(ErasureTargets.from_dict(targets))

    @task(pool=WAREHOUSE_POOL, doc_md="Remove the person from every warehouse table and segment history.")
    def purge_warehouse(targets: dict) -> dict:
        from privacy.purge import purge_warehouse_layers
        from privacy.targets import ErasureTargets

        return purge_warehouse_layers(ErasureTargets.from_dict(targets))

    @task(pool=WAREHOUSE_POOL, doc_md="Append the audit record (counts per layer, no PII).")
    def record_audit(targets: dict, suppressed: int, lakehouse_counts: dict, warehouse_counts: dict) -> dict:
        from privacy.audit import record_erasure_audit
        from privacy.targets import ErasureTargets

        counts = {**lakehouse_counts, **warehouse_counts}
        return record_erasure_audit(ErasureTargets.from_dict(targets), counts, suppressed)

    targets = resolve_targets()
    suppressed = suppress(targets)
    lakehouse_counts = purge_lakehouse(targets)
    warehouse_counts = purge_warehouse(targets)
    # Suppress first, so a nightly run in between cannot bring back what was purged.
    suppressed >> lakehouse_counts >> warehouse_counts
    record_audit(targets, suppressed, lakehouse_counts, warehouse_counts)


customer_erasure()
