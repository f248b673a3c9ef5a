"""One pass over a landing file's bytes: its content hash and how its lines end.

The hash identifies a delivery (the same bytes under another name or on another day are
the same delivery). The line-ending facts decide how Spark reads the file: Hadoop's default
line reader ends a line at `\\n`, `\\r\\n` *and* a lone `\\r`, so a lone `\\r` inside a field
would split one record in two; and a line with an odd number of quote characters leaves a
quoted field open, so the record continues on the next line. Both are rare; files without
them keep the default, splittable reading.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK_BYTES = 1 << 20
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class FileScan:
    """What one read of a file's bytes tells the ingestion.

    line_sep: None for Spark's default line ends; "\\n" when a lone "\\r" sits inside a line
    or records span lines (lines then keep a "\\r" before "\\n", which the reader strips);
    "\\r" for a file whose only line ends are "\\r".
    open_quotes: some line has an odd number of quote characters (a quoted field spans lines).
    """

    sha256: str = EMPTY_SHA256
    line_sep: str | None = None
    open_quotes: bool = False


def _odd_quote_line(data: bytes, sep: bytes, quote: bytes) -> tuple[bool, bytes]:
    """Whether a complete line of `data` has an odd number of quotes, and the unfinished tail.

    The tail is kept only when it holds a quote: a line's parity is its quotes' parity.
    """
    cut = data.rfind(sep) + 1
    complete, tail = data[:cut], data[cut:]
    found = quote in complete and any(line.count(quote) % 2 for line in complete.split(sep) if quote in line)
    return found, tail if quote in tail else b""


def scan_file(path: Path, quote: str | None = '"') -> FileScan:
    """Hash `path` and find its line ends and open quotes in one buffered read.

    quote: the CSV quote character; None for formats whose records never span lines.
    """
    digest = hashlib.sha256()
    quote_bytes = quote.encode() if quote else b""
    cr = lf = crlf = 0
    ends_with_cr, odd, tail = False, False, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            cr, lf = cr + chunk.count(b"\r"), lf + chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (ends_with_cr and chunk[:1] == b"\n")
            ends_with_cr = chunk[-1:] == b"\r"
            if quote_bytes and not odd:
                odd, tail = _odd_quote_line(tail + chunk, b"\n", quote_bytes)
    if quote_bytes and not odd and tail:
        odd = tail.count(quote_bytes) % 2 == 1
    if lf == 0 and cr > 0:  # old Mac line ends: a second pass, rare and usually small
        return FileScan(digest.hexdigest(), "\r", bool(quote_bytes) and _cr_open_quotes(path, quote_bytes))
    line_sep = "\n" if cr > crlf or (odd and cr > 0) else None
    return FileScan(digest.hexdigest(), line_sep, odd)


def _cr_open_quotes(path: Path, quote: bytes) -> bool:
    data = path.read_bytes()
    return any(line.count(quote) % 2 for line in data.split(b"\r") if quote in line)
