"""The restricted database file on disk: owner-only, sealed (encrypted) at rest, unsealed while in use.

At rest the restricted database (customer_platform.restricted) is one encrypted file,
`restricted.duckdb.sealed` (AES-256-GCM under CDP_PII_KEY, customer_platform.sealed_file).
A process that needs it (dbt through `customer_platform.dbt_pii_plugin`, or
`attach_restricted`) holds a shared lock for its lifetime and unseals a working copy if
there is none; the nightly run's last task (`seal_restricted`, an Airflow teardown), `cdp run`
and erasure call `seal_restricted`, which waits for an exclusive lock (no process using the
copy), checkpoints it, encrypts it and deletes the plaintext. A working copy is always at
least as new as the sealed file (sealing writes it from the copy), so a crash leaves a
plaintext copy that the next user takes over and the next seal removes. The folder is
owner-only (0700), its files 0600.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

import duckdb

from customer_platform.config import Settings, get_settings
from customer_platform.sealed_file import seal_file, unseal_file

log = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SEALED_SUFFIX = ".sealed"
#: How long sealing waits for processes still using the working copy before leaving it for the next seal.
SEAL_WAIT_SECONDS = 600
#: This process's shared locks on working copies, by database path (held until sealing or exit).
_USE_LOCKS: dict[Path, int] = {}


def restrict_new_files() -> None:
    """Files and folders this process creates are owner-only (umask 077).

    Called by every entry point (the `cdp` CLI, ingestion, the DAGs' tasks): landing copies,
    the lakehouse, both databases, exports and logs all hold or derive from personal data.
    """
    os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def restricted_path(settings: Settings | None = None) -> Path:
    """The restricted database file, its folder created owner-only."""
    path = (settings or get_settings()).restricted_path
    private_dir(path.parent)
    return path


def seal_permissions(settings: Settings | None = None) -> None:
    """Owner-only modes on the restricted database and its write-ahead log, wherever they exist."""
    path = restricted_path(settings)
    for file in (path, path.with_name(path.name + ".wal")):
        if file.exists():
            os.chmod(file, PRIVATE_FILE_MODE)


def sealed_path(path: Path) -> Path:
    """The encrypted at-rest copy of a restricted database file."""
    return path.with_name(path.name + SEALED_SUFFIX)


def _lock_file(path: Path, name: str) -> int:
    return os.open(path.with_name(f".{path.name}.{name}.lock"), os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)


def _flock(fd: int, operation: int, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


def open_for_use(settings: Settings | None = None) -> Path:
    """The working copy of the restricted database, unsealed when needed; this process holds it until it seals or exits.

    Waits while another process seals it. Raises SealedFileError (customer_platform.sealed_file)
    when CDP_PII_KEY cannot open the sealed file.
    """
    settings = settings or get_settings()
    path = restricted_path(settings)
    if path not in _USE_LOCKS:
        fd = _lock_file(path, "use")
        if not _flock(fd, fcntl.LOCK_SH, SEAL_WAIT_SECONDS):
            os.close(fd)
            raise TimeoutError(f"{path}: still being sealed after {SEAL_WAIT_SECONDS} s")
        _USE_LOCKS[path] = fd
    sealed = sealed_path(path)
    if not path.exists() and sealed.exists():
        fd = _lock_file(path, "unseal")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one process unseals; the others then find the copy
            if not path.exists():
                started = time.perf_counter()
                partial = path.with_name(f".{path.name}.{os.getpid()}.unsealing")
                try:
                    unseal_file(sealed, partial, settings.pii_key)
                    os.replace(partial, path)
                finally:
                    partial.unlink(missing_ok=True)
                log.info("restricted database unsealed in %.1f s", time.perf_counter() - started)
        finally:
            os.close(fd)
    return path


def working_copy_if_any(settings: Settings | None = None) -> Path | None:
    """The working copy (unsealed for this process) when a restricted database exists, else None."""
    settings = settings or get_settings()
    path = restricted_path(settings)
    if not path.exists() and not sealed_path(path).exists():
        return None
    return open_for_use(settings)


def release_use(path: Path) -> None:
    """Let go of this process's shared lock on a working copy (sealing needs every user gone)."""
    fd = _USE_LOCKS.pop(path, None)
    if fd is not None:
        os.close(fd)


def seal_restricted(
    settings: Settings | None = None, wait_seconds: float = SEAL_WAIT_SECONDS
) -> dict[str, object]:
    """Encrypt the working copy into the sealed file and delete the plaintext (nothing to do without a copy).

    Waits up to `wait_seconds` for other processes using the copy; if they still do, the copy
    stays for the next seal and the result says so (`sealed: False`, with the reason).
    """
    settings = settings or get_settings()
    release_dbt_connection_if_loaded()
    path = restricted_path(settings)
    release_use(path)
    sealed = sealed_path(path)
    wal = path.with_name(path.name + ".wal")
    fd = _lock_file(path, "use")
    try:
        if not _flock(fd, fcntl.LOCK_EX, wait_seconds):
            log.warning(
                "restricted database left unsealed: another process still uses it after %.0f s", wait_seconds
            )
            return {"sealed": False, "reason": f"in use by another process after {wait_seconds:.0f} s"}
        if not path.exists():
            return {
                "sealed": sealed.exists(),
                "reason": "no working copy (already sealed)"
                if sealed.exists()
                else "no restricted database yet",
            }
        started = time.perf_counter()
        con = duckdb.connect(str(path))  # replays a crashed writer's WAL into the file
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        partial = sealed.with_name(f".{sealed.name}.{os.getpid()}.sealing")
        try:
            size = seal_file(path, partial, settings.pii_key)
            os.replace(partial, sealed)
        finally:
            partial.unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        path.unlink()
        wal.unlink(missing_ok=True)
        seconds = round(time.perf_counter() - started, 2)
        log.info("restricted database sealed: %d bytes in %.1f s", size, seconds)
        return {"sealed": True, "bytes": size, "seconds": seconds}
    finally:
        os.close(fd)


def seal_if_used_here(wait_seconds: float = 10) -> dict[str, object] | None:
    """Seal at the end of a command that unsealed the restricted database (None when it never did).

    A short wait: when another process still uses the copy, that process's run seals it.
    """
    if not _USE_LOCKS:
        return None
    return seal_restricted(wait_seconds=wait_seconds)


def release_dbt_connection_if_loaded() -> None:
    """Close dbt-duckdb's cached in-process connection (it keeps the working copy open)."""
    import sys

    if "customer_platform.warehouse" in sys.modules:
        sys.modules["customer_platform.warehouse"].release_dbt_connections()
