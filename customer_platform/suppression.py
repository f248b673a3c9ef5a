"""The suppression list: identifiers and hashes of erased people, read by every stage that must honour it.

`<lakehouse>/_suppression/suppression_list.csv` is written by the erasure (`privacy.audit`)
under the silver column names of the person's identifiers; ingestion drops matching rows,
activation never reaches them. Reading it lives here, in the foundation, so any stage can.
"""

from __future__ import annotations

import csv
from pathlib import Path

from customer_platform.config import get_settings


def read_suppression_entries(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The suppression list's header and lines (column -> value); empty when there is none."""
    if not path.is_file() or path.stat().st_size == 0:
        return [], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
        return [h.strip() for h in reader.fieldnames or [] if h.strip()], rows


def suppressed_values(path: Path | None = None) -> set[str]:
    """Every identifier or hash on the suppression list, whatever its column."""
    rows = read_suppression_entries(path or get_settings().suppression_path)[1]
    return {value for row in rows for value in row.values() if value}
