"""Erase one person everywhere (right to be forgotten) and keep them out of later runs.

    request  = ErasureRequest.from_conf({"email": [...], "phone": "...", "crm_customer_id": "C0000123"})
    record   = erase_person(request)

`erase_person` runs the steps in order in this process (`cdp erase`); the `customer_erasure`
DAG runs the same steps as tasks on a queued request (`privacy.queue`), each task calling
`run_queued_step` with the request id only. Every step is idempotent: a second run removes
nothing and records an `already_erased` audit row (the warehouse is rebuilt again all the
same, so a run that died between its deletes and the rebuild leaves no bytes behind).

Steps: resolve -> suppress -> exports -> lakehouse -> warehouse -> files -> compact -> audit.
`files` replaces the person's values in free text (warehouse text cells, then every other
file under the data folder); `compact` rebuilds the warehouse file so deleted rows leave no
bytes (`customer_platform.warehouse_compaction`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from customer_platform.config import get_settings
from customer_platform.restricted_store import seal_restricted, working_copy_if_any
from customer_platform.warehouse_compaction import compact_warehouse
from privacy.audit import append_to_suppression_list, record_erasure_audit
from privacy.exports import purge_exports
from privacy.files import purge_files
from privacy.purge import purge_lakehouse
from privacy.queue import discard_request, load_request, load_targets, save_targets
from privacy.request import ErasureRequest
from privacy.targets import ErasureTargets, resolve_erasure_targets
from privacy.warehouse_purge import purge_warehouse_layers
from privacy.warehouse_text import scrub_warehouse_text

Counts = dict[str, dict[str, int]]


def erase_person(request: ErasureRequest) -> dict[str, Any]:
    """Resolve, suppress, purge every layer, scrub files, rebuild the warehouse and audit; returns the audit record."""
    targets = resolve_erasure_targets(request)
    added = append_to_suppression_list(targets)  # first: a concurrent ingestion already drops them
    counts = merge_counts(*(purge(targets, request.identifiers()) for purge in PURGES.values()))
    return record_erasure_audit(targets, counts, added, compacted=compact_if_present())


def _files(targets: ErasureTargets, needles: Iterable[str]) -> Counts:
    """Warehouse text cells first (the rebuild that follows drops their old bytes), then files."""
    return merge_counts(scrub_warehouse_text(targets, needles), purge_files(targets, needles))


#: The purge steps in order. Exports come first: their ads match keys are read from the warehouse
#: contacts that the warehouse purge removes.
PURGES: dict[str, Callable[[ErasureTargets, Iterable[str]], Counts]] = {
    "exports": lambda targets, _: purge_exports(targets),
    "lakehouse": lambda targets, _: purge_lakehouse(targets),
    "warehouse": lambda targets, _: purge_warehouse_layers(targets),
    "files": _files,
}


def merge_counts(*counts: Mapping[str, Mapping[str, int]]) -> Counts:
    """Layer -> table -> count, summed over several purges' results."""
    merged: Counts = {}
    for part in counts:
        for layer, tables in part.items():
            for table, n in tables.items():
                merged.setdefault(layer, {})[table] = merged.get(layer, {}).get(table, 0) + int(n)
    return merged


def compact_if_present() -> bool:
    """Rebuild the warehouse file and the restricted database where they exist, then seal the restricted one.

    True when one was rebuilt. Sealing replaces the encrypted file that still held the person.
    """
    settings = get_settings()
    present = [p for p in (settings.warehouse_path, working_copy_if_any(settings)) if p and p.exists()]
    for path in present:
        compact_warehouse(path)
    seal_restricted(settings)
    return bool(present)


# Queued requests (the customer_erasure DAG) ---------------------------------------------------------
def resolve_queued(request_id: str) -> dict[str, Any]:
    """Resolve a queued request and keep its targets beside it; returns counts only (for XCom and logs)."""
    targets = resolve_erasure_targets(load_request(request_id))
    save_targets(targets)
    return {
        "request_id": request_id,
        "unified_customers": len(targets.unified_customer_ids),
        "source_records": len(targets.records),
    }


def run_queued_step(step: str, request_id: str) -> Any:
    """Run one step (`suppress`, a purge of `PURGES`, or `compact`) of a resolved queued request."""
    if step not in ("suppress", "compact", *PURGES):
        raise ValueError(f"unknown erasure step {step!r}; known: suppress, {', '.join(PURGES)}, compact")
    if step == "compact":
        return compact_if_present()
    targets = load_targets(request_id)
    if step == "suppress":
        return append_to_suppression_list(targets)
    return PURGES[step](targets, load_request(request_id).identifiers())


def finish_queued(
    request_id: str, suppressed: int, counts: Iterable[Mapping[str, Mapping[str, int]]], compacted: bool
) -> dict[str, Any]:
    """Record the audit of a queued request, then delete its file; returns the audit record."""
    record = record_erasure_audit(load_targets(request_id), merge_counts(*counts), suppressed, compacted)
    discard_request(request_id)
    return record
