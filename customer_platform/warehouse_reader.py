"""Analysts' connections to the warehouse: read-only, sealed off from the host, clear while a run writes.

`cdp query` and the README's Python snippet open the warehouse through `open_for_analysts`:
- read-only, with DuckDB's external access switched off and the setting locked, so a query
  cannot `COPY ... TO` a file, read a host file (`read_csv('/etc/passwd')`), `ATTACH` another
  database, or install or load an extension, and cannot switch any of that back on;
- DuckDB lets one process write a database file and refuses readers meanwhile ("Could not set
  lock on file"). A nightly run holds that lock for minutes; the reader retries for a few
  seconds, then raises `WarehouseBusyError` saying a run is writing and since when (the lock
  holder's process start, read from /proc where there is one).
- The other way round, a reader's lock refuses a writer: the pipeline's own connections
  (`connect_when_free`, used by `customer_platform.warehouse_tables`) wait up to a minute for
  readers to let go instead of failing the stage.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import duckdb

#: DuckDB settings of an analyst's connection; `lock_configuration` makes them final for the session.
ANALYST_CONFIG: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
#: How long a reader waits for a writer before it says so.
DEFAULT_WAIT_SECONDS = 5.0
#: How long a pipeline stage waits for readers (a query, the dashboard) to let go of the file.
WRITER_WAIT_SECONDS = 60.0
_POLL_SECONDS = 0.5
_PID = re.compile(r"\(PID (\d+)\)")


class WarehouseBusyError(RuntimeError):
    """A run holds the warehouse's write lock; the message is one line for the command line."""


def is_lock_conflict(error: BaseException) -> bool:
    """Whether a DuckDB error is another process holding the database file's lock."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def lock_holder(error: BaseException) -> str:
    """`process 1234, started 2026-06-30 02:00:05 UTC` from DuckDB's lock error, or `another process`."""
    match = _PID.search(str(error))
    if not match:
        return "another process"
    pid = match.group(1)
    started = process_start(int(pid))
    if started is None:
        return f"process {pid}"
    return f"process {pid}, started {started:%Y-%m-%d %H:%M:%S} UTC"


def process_start(pid: int) -> dt.datetime | None:
    """When process `pid` started (Linux: /proc/<pid>/stat after the boot time), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="utf-8").splitlines()
            if line.startswith("btime ")
        )
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    # fields[0] is the state (field 3 of stat); starttime is field 22
    return dt.datetime.fromtimestamp(boot + int(fields[19]) / ticks, tz=dt.UTC)


def connect_when_free(
    path: Path | str,
    read_only: bool = False,
    wait_seconds: float = WRITER_WAIT_SECONDS,
    config: dict[str, bool] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to `path`, retried while another process holds the file's lock.

    A reader (an analyst's query, the dashboard) briefly holds a lock a writer needs, and a
    writer holds it for a whole stage; either side retries for `wait_seconds`, then raises
    WarehouseBusyError naming the process that holds it.
    """
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            if time.monotonic() >= deadline:
                doing = "writing" if read_only else "using"
                raise WarehouseBusyError(
                    f"a run is {doing} the warehouse {path} ({lock_holder(error)}); "
                    "try again when it has finished"
                ) from error
            time.sleep(_POLL_SECONDS)


def open_for_analysts(
    path: Path | str, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """A read-only, host-sealed connection to the warehouse at `path`.

    Raises FileNotFoundError when there is no warehouse, and WarehouseBusyError when a run
    still holds the write lock after `wait_seconds`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `cdp run` first")
    return connect_when_free(path, read_only=True, wait_seconds=wait_seconds, config=ANALYST_CONFIG)
