"""Replace a file atomically and durably: a temp file beside it, fsync, `os.replace`, fsync the folder.

Every rewrite an erasure makes goes through here, so a reader sees the old file or the new one,
never half of one, and a crash leaves no second copy of the old bytes under another name
(the temp file is removed on any failure). The new file keeps the old one's permissions.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`; mode: permissions of a new file (default: the old file's, else 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    tmp = path.with_name(f".{path.name}.{os.getpid()}.erasure")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_text_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Replace `path` with UTF-8 `text` (undecodable bytes read with surrogateescape go back as they were)."""
    write_bytes_atomically(path, text.encode("utf-8", errors="surrogateescape"), mode)


def write_csv_atomically(path: Path, header: list[str], rows: Iterable[Mapping[str, str]]) -> None:
    """Replace `path` with a CSV of `header` and `rows` (missing cells empty)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(path, buffer.getvalue())
