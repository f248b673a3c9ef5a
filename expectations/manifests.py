"""Tolerant reader of the ingestion manifests (`_manifests/<source>/ingest_date=<date>/manifest.json`).

The ingestion job owns the format; we only need three counts (rows read, rows in bronze,
rows quarantined). They are looked up under several plausible key spellings, at the top
level, inside a `totals`/`counts`/`summary` object, or summed over a per-file list, and a
missing one is derived from the other two (read = bronze + quarantined, exactly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

READ_KEYS = ("rows_read", "read", "rows_in", "input_rows", "rows_input", "total_rows", "rows_total", "rows")
BRONZE_KEYS = (
    "rows_bronze",
    "bronze",
    "bronze_rows",
    "rows_written_bronze",
    "rows_valid",
    "rows_ok",
    "rows_parsed",
)
QUARANTINE_KEYS = (
    "rows_quarantined",
    "quarantined",
    "quarantine",
    "rows_quarantine",
    "quarantined_rows",
    "rows_rejected",
    "rows_invalid",
    "rows_bad",
)
NESTED_KEYS = ("totals", "total", "counts", "summary", "rows", "run")
FILE_LIST_KEYS = ("files", "per_file", "file_counts", "inputs")
COUNT_NAMES = ("rows_read", "rows_bronze", "rows_quarantined")
_ALIASES = dict(zip(COUNT_NAMES, (READ_KEYS, BRONZE_KEYS, QUARANTINE_KEYS), strict=True))


@dataclass(frozen=True)
class ManifestCounts:
    """Row counts of one source's ingestion for one date."""

    source: str
    path: str
    rows_read: int | None
    rows_bronze: int | None
    rows_quarantined: int | None

    @property
    def quarantine_rate(self) -> float | None:
        """Quarantined / read; None when unknown, 0 for an empty drop."""
        if self.rows_read is None or self.rows_quarantined is None:
            return None
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def rows_unaccounted(self) -> int | None:
        """read - bronze - quarantined: must be 0 (None when a count is unknown)."""
        if None in (self.rows_read, self.rows_bronze, self.rows_quarantined):
            return None
        return self.rows_read - self.rows_bronze - self.rows_quarantined  # type: ignore[operator]


def manifest_path(manifests_dir: Path, source: str, logical_date: date | str) -> Path:
    """Where the ingestion job writes the manifest of one source and date."""
    return manifests_dir / source / f"ingest_date={logical_date}" / "manifest.json"


def read_manifest(
    manifests_dir: Path, source: str, logical_date: date | str
) -> tuple[ManifestCounts | None, str | None]:
    """Counts from the manifest, or (None, reason) when it is missing, unreadable or has no counts."""
    path = manifest_path(manifests_dir, source, logical_date)
    if not path.is_file():
        return None, f"no ingestion manifest for {source} on {logical_date} ({path})"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"unreadable ingestion manifest for {source} on {logical_date}: {exc}"
    counts = extract_counts(payload)
    if counts["rows_read"] is None or counts["rows_quarantined"] is None:
        return None, f"ingestion manifest for {source} on {logical_date} has no row counts ({path})"
    return ManifestCounts(source=source, path=str(path), **counts), None


def extract_counts(payload: Any) -> dict[str, int | None]:
    """The three counts found anywhere plausible in a manifest payload (None when absent)."""
    counts = _find_counts(payload) if isinstance(payload, dict) else dict.fromkeys(COUNT_NAMES)
    read, bronze, quarantined = (counts[name] for name in COUNT_NAMES)
    if read is None and bronze is not None and quarantined is not None:
        read = bronze + quarantined
    elif quarantined is None and read is not None and bronze is not None:
        quarantined = read - bronze
    elif bronze is None and read is not None and quarantined is not None:
        bronze = read - quarantined
    return {"rows_read": read, "rows_bronze": bronze, "rows_quarantined": quarantined}


def _find_counts(obj: dict[str, Any], depth: int = 0) -> dict[str, int | None]:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    found = {name: _first_int(lowered, aliases) for name, aliases in _ALIASES.items()}
    if depth < 2:
        for key in NESTED_KEYS:
            if isinstance(lowered.get(key), dict):
                nested = _find_counts(lowered[key], depth + 1)
                found = {n: found[n] if found[n] is not None else nested[n] for n in COUNT_NAMES}
    if any(v is None for v in found.values()):
        per_file = _sum_files(lowered)
        found = {n: found[n] if found[n] is not None else per_file.get(n) for n in COUNT_NAMES}
    return found


def _sum_files(lowered: dict[str, Any]) -> dict[str, int | None]:
    for key in FILE_LIST_KEYS:
        entries = lowered.get(key)
        if isinstance(entries, dict):
            entries = list(entries.values())
        if not isinstance(entries, list) or not entries:
            continue
        per_file = [_find_counts(e, depth=2) for e in entries if isinstance(e, dict)]
        return {
            n: sum(c[n] for c in per_file) if per_file and all(c[n] is not None for c in per_file) else None
            for n in COUNT_NAMES
        }
    return {}


def _first_int(obj: dict[str, Any], aliases: tuple[str, ...]) -> int | None:
    for alias in aliases:
        value = obj.get(alias)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, dict):  # e.g. "bronze": {"rows": 95, "path": ...}
            inner = _first_int({str(k).lower(): v for k, v in value.items()}, ("rows", "count", "n"))
            if inner is not None:
                return inner
    return None
