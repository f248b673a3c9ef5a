"""Erase one person from the export files already written under the data folder.

Activation writes `<CDP_EXPORTS_DIR>/<audience>/<date>/members.csv` and `members.parquet` with
a `manifest.json` (rows, each file's SHA-256). Every CSV and Parquet file under the folder is
searched by value like every other layer (`privacy.matching`), plus the ads match keys of the
person (unsalted SHA-256 of their normalised email and phone, which the warehouse's `pii`
contacts give for their unified ids: read before the warehouse purge removes them). Files
are rewritten atomically and their manifest updated. The audit lines carry no personal data
and are left alone.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import duckdb
import pandas as pd

from customer_platform.config import get_settings
from customer_platform.restricted import (
    CONTACTS,
    attach_restricted,
    contact_values,
    match_keys,
)
from customer_platform.warehouse_tables import table_exists
from privacy.atomic import write_bytes_atomically, write_text_atomically
from privacy.matching import ValueMatcher
from privacy.targets import ErasureTargets

SKIPPED_DIRS = ("_audit",)


def ads_match_keys(unified_customer_ids: list[str]) -> set[str]:
    """SHA-256 match keys (as activation exports them) of the contacts of these customers."""
    settings = get_settings()
    if not unified_customer_ids or not settings.warehouse_path.is_file():
        return set()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        if not attach_restricted(con, read_only=True) or not table_exists(con, CONTACTS):
            return set()
        contacts = contact_values(con, sorted(unified_customer_ids), ("email", "phone"))
    finally:
        con.close()
    keys = match_keys(contacts["email"], lower=True) + match_keys(contacts["phone"], lower=False)
    return {key for key in keys if key}


def _matching_rows(frame: pd.DataFrame, matcher: ValueMatcher) -> pd.Series:
    mask = pd.Series(False, index=frame.index)
    for column in frame.columns:
        if frame[column].dtype == object:
            mask |= frame[column].map(matcher.value).astype(bool)
    return mask


def _replace(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        write_text_atomically(path, frame.to_csv(index=False, lineterminator="\n"))
    else:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        write_bytes_atomically(path, buffer.getvalue())


def _refresh_manifest(folder: Path, rows: int) -> None:
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["rows"] = rows
    for name, entry in manifest.get("files", {}).items():
        file = folder / name
        if file.is_file():
            entry.update(sha256=hashlib.sha256(file.read_bytes()).hexdigest(), bytes=file.stat().st_size)
    write_text_atomically(manifest_path, json.dumps(manifest, indent=2) + "\n")


def purge_exports(targets: ErasureTargets) -> dict[str, dict[str, int]]:
    """Remove the person's rows from every export file; counts per file (relative path), layer `exports`."""
    root = get_settings().exports_dir
    if not root.is_dir():
        return {"exports": {}}
    base = ValueMatcher.for_targets(targets)
    matcher = ValueMatcher(
        base.keys | ads_match_keys(targets.unified_customer_ids),
        base.email_hashes,
        base.phone_hashes,
        base.salt,
    )
    counts: dict[str, int] = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".csv", ".parquet") and p.is_file()):
        relative = path.relative_to(root)
        if relative.parts[0] in SKIPPED_DIRS or path.name.startswith("."):
            continue
        frame = (
            pd.read_csv(path, dtype=str, keep_default_na=False)
            if path.suffix == ".csv"
            else pd.read_parquet(path)
        )
        mask = _matching_rows(frame, matcher)
        if mask.any():
            kept = frame[~mask]
            _replace(path, kept)
            _refresh_manifest(path.parent, len(kept))
            counts[str(relative)] = int(mask.sum())
    return {"exports": counts}
