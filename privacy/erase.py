"""Erase one person everywhere (right to be forgotten) and keep them out of later runs.

    request  = ErasureRequest.from_conf({"email": [...], "phone": "...", "crm_customer_id": "C0000123"})
    record   = erase_person(request)

`erase_person` runs the steps in order; the `customer_erasure` DAG runs the same steps as
tasks. Every step is idempotent: a second run removes nothing and records an
`already_erased` audit row.
"""

from __future__ import annotations

from typing import Any

from privacy.audit import append_to_suppression_list, record_erasure_audit
from privacy.exports import purge_exports
from privacy.purge import purge_lakehouse, purge_warehouse_layers
from privacy.request import ErasureRequest
from privacy.targets import resolve_erasure_targets


def erase_person(request: ErasureRequest) -> dict[str, Any]:
    """Resolve, suppress, purge every layer and audit; returns the audit record."""
    targets = resolve_erasure_targets(request)
    added = append_to_suppression_list(targets)  # first: a concurrent ingestion already drops them
    # Exports first: their ads match keys come from the warehouse contacts the next purge removes.
    counts = purge_exports(targets) | purge_lakehouse(targets) | purge_warehouse_layers(targets)
    return record_erasure_audit(targets, counts, added)
