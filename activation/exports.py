"""Export files: what each channel's destination receives, written per audience and date with a manifest.

Only treatment members are exported (never the holdout). Contact data comes from the
restricted database only (`restricted.pii.customer_contacts`, decrypted with CDP_PII_KEY):
- email: `unified_customer_id`, `email`, `first_name`;
- sms: `unified_customer_id`, `phone`, `first_name`;
- ads: `email_sha256`, `phone_sha256`: SHA-256 match keys of the normalised identifiers
  (email trimmed and lower-cased; phone in E.164 with its `+`), the form ads platforms'
  customer-match uploads take. No raw identifier or platform id leaves for ads.

Text leaves neutralised (`customer_platform.text_safety`), in the CSV and the Parquet file alike
and in webhook payloads: a value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
CR first) gets a leading `'`, markup is HTML-escaped; E.164 phone numbers stay as they are. The
manifest counts the values changed (`values_neutralised`).

Files: `<CDP_EXPORTS_DIR>/<audience>/<date>/members.csv`, `members.parquet` and
`manifest.json` (audience, version, channel, rows, columns, each file's SHA-256; no personal
data), written to a temporary folder then renamed, so a reader sees the old export or the new
one. Re-running a date writes identical files. One audit line per export
(`<CDP_EXPORTS_DIR>/_audit/exports.jsonl`): counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from activation.catalog import KEY
from customer_platform.restricted import contact_values, match_keys
from customer_platform.text_safety import neutralise_frame

EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": (KEY, "email", "first_name"),
    "sms": (KEY, "phone", "first_name"),
    "ads": ("email_sha256", "phone_sha256"),
}
#: The encrypted contact columns each channel decrypts (restricted.pii.customer_contacts).
_CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email", "first_name"),
    "sms": ("phone", "first_name"),
    "ads": ("email", "phone"),
}
AUDIT_FILE = Path("_audit") / "exports.jsonl"


def contact_rows(con: duckdb.DuckDBPyConnection, customers: pd.Series, channel: str) -> pd.DataFrame:
    """`unified_customer_id` and the `channel` columns of `customers`, decrypted from the restricted database, in id order.

    The connection must have the restricted database attached (`attach_restricted`).
    """
    if channel not in _CONTACT_COLUMNS:
        raise ValueError(f"unknown channel {channel!r}; known: {', '.join(_CONTACT_COLUMNS)}")
    rows = contact_values(con, [str(c) for c in customers], _CONTACT_COLUMNS[channel])
    if channel == "ads":
        rows = pd.DataFrame(
            {
                KEY: rows[KEY],
                "email_sha256": match_keys(rows["email"], lower=True),
                "phone_sha256": match_keys(rows["phone"], lower=False),
            }
        )
    return rows.reset_index(drop=True)


def export_rows(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, channel: str) -> pd.DataFrame:
    """The rows a `channel` file receives for `members`: treatment only, `EXPORT_COLUMNS`, stable order."""
    treatment = members.loc[~members["is_holdout"].astype(bool), KEY]
    return contact_rows(con, treatment, channel)[list(EXPORT_COLUMNS[channel])]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_export_files(
    root: Path, audience: str, version: str, channel: str, day: dt.date, rows: pd.DataFrame
) -> dict[str, Any]:
    """Write CSV, Parquet and manifest for one audience and date (text neutralised); returns the manifest."""
    rows, neutralised = neutralise_frame(rows)
    final = root / audience / day.isoformat()
    staging = root / audience / f".{day.isoformat()}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    rows.to_csv(staging / "members.csv", index=False, lineterminator="\n")
    rows.to_parquet(staging / "members.parquet", index=False)
    manifest = {
        "audience": audience,
        "audience_version": version,
        "channel": channel,
        "logical_date": day.isoformat(),
        "rows": len(rows),
        "columns": list(rows.columns),
        "values_neutralised": neutralised,
        "files": {name: {"sha256": _sha256(staging / name), "bytes": (staging / name).stat().st_size}
                  for name in ("members.csv", "members.parquet")},
    }  # fmt: skip
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if final.exists():
        old = final.with_name(f".{day.isoformat()}.{os.getpid()}.old")
        final.rename(old)
        staging.rename(final)
        shutil.rmtree(old)
    else:
        staging.rename(final)
    return manifest


def append_audit(root: Path, record: dict[str, Any]) -> None:
    """Append one export's audit line (counts, names, dates; never personal data)."""
    path = root / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **record}
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
