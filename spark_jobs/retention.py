"""Retention: delete a source's raw partitions older than its contract's `retention: {days: N}`.

Landing drops (`<landing>/<source>/<date>/`) and the source's bronze and quarantine partitions
are deleted when their date is more than N days before the run's logical date (never by the
wall clock, so a backfill of an old date deletes nothing newer than it). Silver is never
deleted: it is the cleaned, deduplicated history the warehouse is built from (a dbt full
refresh reads every silver partition). Without a `retention` block nothing is deleted.

Deletion uses the lakehouse's crash-safe partition helpers (each folder disappears at once,
a run killed half-way is finished by the next one) and is idempotent. What was deleted is
logged and recorded in the date's ingestion manifest as counts and dates, never rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from customer_platform.config import Settings
from customer_platform.partitions import drop_partitions, recover
from customer_platform.registry import SourceContract

log = logging.getLogger(__name__)

PARTITION_PREFIX = "ingest_date="


def expired(names: Iterable[str], logical_date: date, days: int) -> list[str]:
    """Folder names (`YYYY-MM-DD` or `ingest_date=YYYY-MM-DD`) dated more than `days` before `logical_date`."""
    cutoff = logical_date - timedelta(days=days)
    old = []
    for name in names:
        try:
            day = date.fromisoformat(name.removeprefix(PARTITION_PREFIX))
        except ValueError:
            continue  # not a partition (`_staging`, `_trash`, stray files)
        if day < cutoff:
            old.append(name)
    return sorted(old)


def raw_folders(contract: SourceContract, settings: Settings) -> dict[str, Path]:
    """The folders retention deletes from, per layer: landing, bronze and quarantine (never silver)."""
    return {
        "landing": settings.landing_dir / contract.name,
        "bronze": settings.bronze_dir / contract.name,
        "quarantine": settings.quarantine_dir / contract.name,
    }


def apply_retention(
    contract: SourceContract, settings: Settings, logical_date: str, manifests: Iterable[dict] = ()
) -> dict[str, Any] | None:
    """Delete the source's expired raw partitions; returns what was deleted (None: no retention).

    manifests: the run's ingestion manifests, each given the result as `retention`.
    """
    days = contract.retention_days
    result = None
    if days is not None:
        day = date.fromisoformat(logical_date)
        token = f"retention.{uuid.uuid4().hex[:12]}"
        deleted: dict[str, list[str]] = {}
        for layer, folder in raw_folders(contract, settings).items():
            recover(folder, [])  # a deletion killed half-way is finished first
            names = expired((p.name for p in folder.glob("*") if p.is_dir()), day, days)
            deleted[layer] = drop_partitions(folder, token, names)
        dates = sorted({name.removeprefix(PARTITION_PREFIX) for names in deleted.values() for name in names})
        result = {
            "days": days,
            "deleted_before": (day - timedelta(days=days)).isoformat(),
            "partitions_deleted": {layer: len(names) for layer, names in deleted.items()},
            "dates_deleted": dates,
        }
        log.info(
            "retention %s: %d day(s) before %s deleted (landing %d, bronze %d, quarantine %d partitions)",
            contract.name, len(dates), result["deleted_before"], *result["partitions_deleted"].values(),
        )  # fmt: skip
    for manifest in manifests:
        manifest["retention"] = result
    return result
