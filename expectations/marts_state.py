"""What the marts gate last validated: per suite, the hash of every row that passed its row-level checks.

Kept with the gate's own files (`<dq_dir>/marts_state/`), never in the warehouse, which dbt
rebuilds. Each suite has `<file>.parquet` (one column, `row_hash`: DuckDB's 64-bit `hash()`
of the row's key and of every column a row-level expectation reads) and `<file>.json` (what
the hashes mean: key, hashed columns, a fingerprint of the row-level expectations they were
checked against, the row count and the run). A run writes `<file>.pending.*` beside them;
the runner promotes them only when the whole gate passed, so a failed gate never advances it.

The key is inside the hash, so a changed row is taken for an unchanged one only if its new
hash equals one of the stored ones: about n / 2^64 per changed row (3e-13 at 6 M orders).
Storing the key beside the hash made the state 1.7 times larger, its writing 4 times and
the comparison 3.5 times slower at 6.3 M orders, for no practical gain. No value is stored,
only hashes, and each passing run rewrites the state from the current tables, so a customer
erased from the marts leaves it with the next passing run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from customer_platform.config import Settings


@dataclass(frozen=True)
class StateMeta:
    """What a suite's stored hashes were computed from, and the table they came from."""

    suite: str
    key: str
    hashed_columns: list[str]
    fingerprint: str
    rows: int
    logical_date: str
    run_id: str


def state_dir(settings: Settings) -> Path:
    """`<dq_dir>/marts_state`."""
    return settings.marts_gate_state_dir


def _stem(suite: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in suite)


def state_paths(settings: Settings, suite: str, pending: bool = False) -> tuple[Path, Path]:
    """(hashes parquet, meta json) of a suite's stored state, or of this run's pending one."""
    stem = _stem(suite) + (".pending" if pending else "")
    folder = state_dir(settings)
    return folder / f"{stem}.parquet", folder / f"{stem}.json"


def fingerprint(row_checks: list[tuple[str, dict[str, Any]]], key: str, hashed: list[str]) -> str:
    """A digest of the row-level checks (type and arguments) and the hashed columns.

    A row that passed these exact checks with these exact values passes them again; when a
    check or its arguments change, every row is validated again.
    """
    payload = json.dumps(
        {"checks": sorted(row_checks, key=lambda c: json.dumps(c, sort_keys=True, default=str)),
         "key": key, "hashed": hashed},
        sort_keys=True,
        default=str,
    )  # fmt: skip
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_meta(settings: Settings, suite: str) -> StateMeta | None:
    """The stored state's meta, or None when there is none (or it is unreadable or incomplete)."""
    hashes, meta = state_paths(settings, suite)
    if not (hashes.is_file() and meta.is_file()):
        return None
    try:
        return StateMeta(**json.loads(meta.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None


def write_pending_meta(settings: Settings, meta: StateMeta) -> None:
    """Write this run's meta beside its pending hashes (written by DuckDB)."""
    _, path = state_paths(settings, meta.suite, pending=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(meta), indent=2), encoding="utf-8")


@dataclass(frozen=True)
class PendingState:
    """A suite's state computed by this run: promoted when the gate passes, discarded otherwise."""

    settings: Settings
    suite: str

    def commit(self) -> None:
        """Replace the stored state with this run's (hashes first, then the meta that vouches for them)."""
        state_paths(self.settings, self.suite)[1].unlink(missing_ok=True)  # no meta over other hashes
        for pending, stored in zip(
            state_paths(self.settings, self.suite, pending=True),
            state_paths(self.settings, self.suite),
            strict=True,
        ):
            os.replace(pending, stored)

    def discard(self) -> None:
        """Remove this run's pending files; the stored state stays as it was."""
        for path in state_paths(self.settings, self.suite, pending=True):
            path.unlink(missing_ok=True)
