"""Crash-safe partition publishing and manifests for the lakehouse layers (no Spark: erasure uses it too).

A run writes each table's partitions under `<table>/_staging/<token>/ingest_date=D`, then
publishes them: it writes a committed marker beside the staged copies (they are complete),
swaps each partition in with two renames (old partition aside into `<table>/_trash/<token>/`,
staged one in) and finally deletes the old copies. The whole publish of a table holds its
swap lock (`<table>/_swap.lock`, an `flock` the kernel releases when the holder dies).

Readers glob `<table>/ingest_date=*/*.parquet` (Spark ignores `_`-prefixed names too), so
they never see a half-written partition. A run killed between the two renames leaves the
date absent, so every job that reads the lake first calls `recover_lake` (ingestion, erasure,
the silver gate, dbt, the run summary): under the lock, a dead run's leftovers are rolled
forward when its marker says the staged copies were complete (the new partitions go in) and
rolled back otherwise (the old partitions come back from `_trash`). A live run's folders are
never touched, and a reader that meets a swap in progress waits for its lock (the renames take
milliseconds) instead of "recovering" it under its owner. Whole partitions are deleted the same
way (`drop_partitions`: marker, rename aside, delete), so retention is crash-safe too.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from customer_platform.config import Settings, get_settings

log = logging.getLogger(__name__)

STAGING = "_staging"
TRASH = "_trash"
OWNER_FILE = "_owner.json"
COMMITTED_FILE = "_committed.json"  # the staged copies are complete: recovery rolls forward
LOCK_FILE = "_swap.lock"
FOREIGN_STALE_SECONDS = 24 * 3600  # another host's leftovers are stale after a day
SWAP_WAIT_SECONDS = 60.0  # how long a reader waits for another process's swap to finish
_ACTIVE_TOKENS: set[str] = set()  # runs of this process still in progress


class SwapInProgress(RuntimeError):
    """Another live process held a table's swap lock for longer than a reader waits."""


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


def _who() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def write_owner(run_dir: Path, token: str, dates: list[str]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    owner = {"token": token, **_who(), "dates": dates, "started": time.time()}
    (run_dir / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


@contextmanager
def swap_lock(table_dir: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the table's swap lock; SwapInProgress naming the holder after `wait_seconds`."""
    table_dir.mkdir(parents=True, exist_ok=True)
    wait = SWAP_WAIT_SECONDS if wait_seconds is None else wait_seconds
    fd = os.open(table_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 512, 0).decode("utf-8", "replace") or "unknown"
                    raise SwapInProgress(
                        f"{table_dir}: a partition swap by {holder} is still in progress after {wait:.0f} s"
                    ) from None
                time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({**_who(), "since": round(time.time())}).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


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


def _parts(run_dir: Path) -> list[Path]:
    """The partition folders held in a staging or trash folder (not its owner or marker files)."""
    return sorted(p for p in run_dir.iterdir() if p.is_dir()) if run_dir.is_dir() else []


def _roll_forward(table_dir: Path, staging: Path, trash: Path) -> None:
    for staged in _parts(staging):
        target = table_dir / staged.name
        if target.exists():  # not swapped yet: the old copy goes aside, as the swap would have done
            trash.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(trash / staged.name, ignore_errors=True)
            os.rename(target, trash / staged.name)
        os.rename(staged, target)


def _roll_back(table_dir: Path, trash: Path) -> None:
    for old in _parts(trash):
        if not (table_dir / old.name).exists():
            os.rename(old, table_dir / old.name)  # the swap never completed: bring the old partition back


def _finish(table_dir: Path, token: str) -> str:
    """Roll one run's leftovers forward (committed) or back; returns what was done."""
    staging, trash = table_dir / STAGING / token, table_dir / TRASH / token
    committed = (staging / COMMITTED_FILE).is_file()
    if committed:
        _roll_forward(table_dir, staging, trash)
    else:
        _roll_back(table_dir, trash)
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return f"{'rolled forward' if committed else 'rolled back'} {token}"


def _remove_empty_roots(table_dir: Path) -> None:
    for root in (table_dir / STAGING, table_dir / TRASH):
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()


def recover(
    table_dir: Path, dates: list[str], only_token: str | None = None, wait_seconds: float | None = None
) -> list[str]:
    """Finish or undo the stale runs left in `table_dir` (or only `only_token`'s); returns what was done.

    dates: the partitions the caller is about to rewrite (an older run on them is superseded).
    """
    roots = [table_dir / STAGING, table_dir / TRASH]
    if not any(root.is_dir() for root in roots):
        return []
    done = []
    with swap_lock(table_dir, wait_seconds):
        tokens = sorted({p.name for root in roots if root.is_dir() for p in root.iterdir()})
        for token in tokens:
            if only_token is not None and token != only_token:
                continue
            staging = table_dir / STAGING / token
            owner_dir = staging if (staging / OWNER_FILE).is_file() else table_dir / TRASH / token
            if only_token is None and not _is_stale(owner_dir, dates):
                continue  # a live run's own folders
            done.append(_finish(table_dir, token))
        _remove_empty_roots(table_dir)
    return done


def recover_lake(
    settings: Settings | None = None,
    dates: Mapping[Path, list[str]] | None = None,
    wait_seconds: float | None = None,
) -> list[str]:
    """Recover every table of bronze, quarantine and silver before reading them; returns what was done.

    dates: per table folder, the partitions the caller is about to rewrite (see `recover`).
    """
    settings = settings or get_settings()
    dates = dates or {}
    done = []
    for layer in (settings.bronze_dir, settings.quarantine_dir, settings.silver_dir):
        tables = sorted(p for p in layer.glob("*") if p.is_dir() and not p.name.startswith("_"))
        for table_dir in tables:
            for what in recover(table_dir, dates.get(table_dir, []), wait_seconds=wait_seconds):
                done.append(f"{layer.name}/{table_dir.name}: {what}")
    for what in done:
        log.warning("lakehouse recovery: %s (a run was killed mid-publish)", what)
    return done


def begin(token: str) -> None:
    """Mark a run token active in this process (its folders are not stale)."""
    _ACTIVE_TOKENS.add(token)


def end(token: str) -> None:
    """Mark a run token finished; leftovers under it become stale."""
    _ACTIVE_TOKENS.discard(token)


def _commit(staging: Path, token: str, names: list[str]) -> None:
    marker = {"token": token, "partitions": names, **_who(), "committed": time.time()}
    write_manifest(staging / COMMITTED_FILE, marker)


def publish_partitions(table_dir: Path, token: str, dates: list[str]) -> None:
    """Swap each staged partition in (two renames), then drop the old copies and the staging folder.

    Fail points (`CDP_FAILPOINTS`), per layer: `staged:<layer>`, `committed:<layer>`,
    `between_renames:<layer>`, `after_rename_in:<layer>`, `before_cleanup:<layer>`.
    """
    staging, trash = table_dir / STAGING / token, table_dir / TRASH / token
    layer = table_dir.parent.name  # e.g. silver
    failpoint(f"staged:{layer}")
    with swap_lock(table_dir):
        _commit(staging, token, [f"ingest_date={d}" for d in dates])
        failpoint(f"committed:{layer}")
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
                failpoint(f"between_renames:{layer}")
                os.rename(staging / name, target)
            except BaseException:
                if moved_aside and not target.exists():
                    os.rename(trash / name, target)
                (staging / COMMITTED_FILE).unlink(missing_ok=True)  # this run failed: roll back, not forward
                raise
            failpoint(f"after_rename_in:{layer}")
        failpoint(f"before_cleanup:{layer}")
        shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty_roots(table_dir)


def drop_partitions(table_dir: Path, token: str, names: list[str]) -> list[str]:
    """Delete whole partition folders of `table_dir` crash-safely; returns the names deleted.

    Each folder disappears at once (renamed aside), then is deleted; a run killed on the way is
    rolled forward by the next `recover`. Fail point: `before_cleanup:<layer>`.
    """
    present = [name for name in names if (table_dir / name).is_dir()]
    if not present:
        return []
    staging, trash = table_dir / STAGING / token, table_dir / TRASH / token
    with swap_lock(table_dir):
        write_owner(staging, token, present)
        _commit(staging, token, [])
        write_owner(trash, token, present)
        for name in present:
            os.rename(table_dir / name, trash / name)
        failpoint(f"before_cleanup:{table_dir.parent.name}")
        shutil.rmtree(trash, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty_roots(table_dir)
    return present


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
