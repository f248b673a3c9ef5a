"""The suppression list: keyed hashes of erased people's identifiers, read by every stage that must honour it.

`<lakehouse>/_suppression/suppression_keys.csv` is written by the erasure (`privacy.audit`):
one column per silver identity column, each value the *suppression key* of one of the
person's ids or hashes, `sha256("cdp-suppression-v1:" + salt + ":" + value)`. Ingestion drops
silver rows whose column's key is listed, activation never reaches them, and the nightly
sweep removes their raw rows (each computes the same key with `suppression_key` or, in
SQL, `sha256(prefix || value)` with `suppression_prefix()`).

Why a key of its own rather than the values: the list must recognise the person forever,
so it outlives every other trace of them. Holding their CRM id, or the salted hash the
warehouse uses (or worse, the unsalted SHA-256 a vendor's email key is), would leave a
value that can be looked up in other copies of the data (exports, backups, a vendor's file)
or, for the unsalted hash, by anyone with the address. The purpose prefix makes the key
useless anywhere else; the salt makes it impossible to compute without the platform's
configuration. Changing `CDP_HASH_SALT` invalidates the list, as it invalidates every hash.

An older list of plain values (`suppression_list.csv`, `Settings.suppression_path`) is still
honoured: its values are keyed when read, and the next erasure moves them to the keyed list.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from customer_platform.config import get_settings
from customer_platform.identifiers import EDGE_SPACE

#: Purpose of the key: a suppression key matches nothing but a suppression key.
SUPPRESSION_PURPOSE = "cdp-suppression-v1"


def suppression_prefix(salt: str | None = None) -> str:
    """What is prepended to a value before hashing it into its suppression key."""
    salt = get_settings().hash_salt if salt is None else salt
    return f"{SUPPRESSION_PURPOSE}:{salt}:"


def suppression_key(value: str, salt: str | None = None) -> str:
    """The suppression key (hex SHA-256) of one id or hash, trimmed first (as Spark's `strip` trims)."""
    return hashlib.sha256((suppression_prefix(salt) + value.strip(EDGE_SPACE)).encode("utf-8")).hexdigest()


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file() or path.stat().st_size == 0:
        return [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
        return [h.strip() for h in reader.fieldnames or [] if h.strip()], rows


def read_suppression_entries(
    keys_path: Path | None = None, legacy_path: Path | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """The list's header and lines (column -> suppression key); empty when there is none.

    Lines of a legacy plain-value list are returned keyed, after the keyed list's own.
    """
    settings = get_settings()
    header, rows = _read_csv(keys_path or settings.suppression_keys_path)
    legacy_header, legacy_rows = _read_csv(legacy_path or settings.suppression_path)
    header += [c for c in legacy_header if c not in header]
    rows += [{c: suppression_key(v) for c, v in row.items() if v} for row in legacy_rows]
    return header, rows


def suppressed_keys() -> set[str]:
    """Every suppression key on the list, whatever its column."""
    return {value for row in read_suppression_entries()[1] for value in row.values() if value}
