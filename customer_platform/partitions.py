"""Crash-safe partition publishing and manifests for the lakehouse layers (no Spark: erasure uses it too).

A run writes each table's partitions under `<table>/_staging/<token>/ingest_date=D`, then
swaps each one in with two renames (old partition aside into `<table>/_trash/<token>/`,
staged one in) and deletes the old copy. Readers glob `<table>/ingest_date=*/*.parquet`
(Spark ignores `_`-prefixed folders too), so they see the old partition or the new one,
never a half-written one; during the instant between the two renames the date is absent.
A run killed at any point leaves only `_staging`/`_trash` folders, which the next run
cleans up, putting back any old partition that had been moved aside.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Any

STAGING = "_staging"
TRASH = "_trash"
OWNER_FILE = "_owner.json"
FOREIGN_STALE_SECONDS = 24 * 3600  # another host's leftovers are stale after a day
_ACTIVE_TOKENS: set[str] = set()  # runs of this process still in progress


def failpoint(name: str) -> None:
    """Test hook: `CDP_FAILPOINTS=name` pauses here (so a test can kill the process), `name=raise` raises."""
    for entry in os.environ.get("CDP_FAILPOINTS", "").split(","):
        point, _, action = entry.strip().partition("=")
        if point != name:
            continue
        print(f"FAILPOINT {name} reached", file=sys.stderr, flush=True)
        if action == "raise":
            raise RuntimeError(f"failpoint {name}")
        time.sleep(3600)


def write_owner(run_dir: Path, token: str, dates: list[str]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    owner = {
        "token": token,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "dates": dates,
        "started": time.time(),
    }
    (run_dir / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(run_dir: Path, dates: list[str]) -> bool:
    try:
        owner = json.loads((run_dir / OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # killed before it could even record its owner
    if set(owner.get("dates", ())) & set(dates):
        return True  # this run rewrites the same partitions: the older attempt is dead or superseded
    if owner.get("host") != socket.gethostname():
        return time.time() - float(owner.get("started", 0)) > FOREIGN_STALE_SECONDS
    if owner.get("pid") == os.getpid():
        return owner.get("token") not in _ACTIVE_TOKENS
    return not _pid_alive(int(owner.get("pid", -1)))


def _restore_or_drop(table_dir: Path, trash_run: Path) -> None:
    for old in trash_run.glob("ingest_date=*"):
        target = table_dir / old.name
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, target)  # the swap never completed: bring the old partition back
    shutil.rmtree(trash_run, ignore_errors=True)


def recover(table_dir: Path, dates: list[str], only_token: str | None = None) -> list[str]:
    """Clean stale staging/trash folders of `table_dir`; returns what was cleaned."""
    cleaned = []
    for kind in (TRASH, STAGING):
        root = table_dir / kind
        if not root.is_dir():
            continue
        for run_dir in sorted(root.iterdir()):
            if only_token is not None and run_dir.name != only_token:
                continue
            if only_token is None and not _is_stale(run_dir, dates):
                continue
            if kind == TRASH:
                _restore_or_drop(table_dir, run_dir)
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
            cleaned.append(f"{kind}/{run_dir.name}")
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()
    return cleaned


def begin(token: str) -> None:
    """Mark a run token active in this process (its folders are not stale)."""
    _ACTIVE_TOKENS.add(token)


def end(token: str) -> None:
    """Mark a run token finished; leftovers under it become stale."""
    _ACTIVE_TOKENS.discard(token)


def publish_partitions(table_dir: Path, token: str, dates: list[str]) -> None:
    """Swap each staged partition in (two renames), then drop the old copies and the staging folder."""
    staging, trash = table_dir / STAGING / token, table_dir / TRASH / token
    for ingest_date in dates:
        name = f"ingest_date={ingest_date}"
        target = table_dir / name
        moved_aside = False
        try:
            if target.exists():
                if not trash.exists():
                    write_owner(trash, token, dates)
                os.rename(target, trash / name)
                moved_aside = True
            failpoint(f"between_renames:{table_dir.parent.name}")  # e.g. between_renames:silver
            os.rename(staging / name, target)
        except BaseException:
            if moved_aside and not target.exists():
                os.rename(trash / name, target)
            raise
        shutil.rmtree(trash / name, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(trash, ignore_errors=True)
    for root in (table_dir / STAGING, table_dir / TRASH):
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()


def parquet_rows(folder: Path) -> int:
    """Rows in a partition folder, from the Parquet footers only."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in sorted(folder.glob("*.parquet")))


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write JSON atomically (temp file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
