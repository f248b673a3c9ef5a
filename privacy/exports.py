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
from privacy.atomic import write_bytes_atomically, write_text_atomically
from privacy.matching import ValueMatcher
from privacy.targets import ErasureTargets

CONTACTS = "pii.customer_contacts"
SKIPPED_DIRS = ("_audit",)


def ads_match_keys(unified_customer_ids: list[str]) -> set[str]:
    """SHA-256 match keys (as activation exports them) of the contacts of these customers."""
    path = get_settings().warehouse_path
    if not unified_customer_ids or not path.is_file():
        return set()
    con = duckdb.connect(str(path), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'pii' and table_name = 'customer_contacts'"
        ).fetchall()[0][0]
        if not exists:
            return set()
        rows = con.execute(
            f"select sha256(lower(trim(email))), sha256(trim(phone)) from {CONTACTS} "
            "where unified_customer_id in (select unnest(?))",
            [sorted(unified_customer_ids)],
        ).fetchall()
    finally:
        con.close()
    return {value for row in rows for value in row if value}


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
