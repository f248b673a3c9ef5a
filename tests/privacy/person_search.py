"""Search every byte of every file of a data folder for one person, as `grep -a -i -r` would and more.

    needles = PersonNeedles.of(person_row, unified_ids, record_ids, salt)
    hits = search_files(data_dir, needles)       # {relative path: {what was found}}

Looked for, case-insensitively: the email (as delivered, any case, and normalized), the
phone (E.164, and the national digits in any spelling: `07700 900123`, `7700-900-123`), the
full name as written in text (`Ann Smith`, `Ann,Smith`, `Smith, Ann`), the unified customer
ids, the record ids linked to them, the warehouse's salted hashes and the unsalted match keys
(the vendors' email key, the ads exports' keys). Ids and hashes are matched as whole tokens.

Where: the raw bytes of every file; the decoded values of every Parquet file (zstd hides
strings from a byte search), where a row holding both the first and the last name counts as
the name; and the members of every zip file (MLflow's skops models). The generator's ground
truth (`landing/_truth`) is skipped: it is test data naming every person, not platform data.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

SKIPPED = (Path("landing") / "_truth",)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PersonNeedles:
    """Everything that would betray the person, compiled for a byte search."""

    tokens: frozenset[str]  # lower-cased: emails, E.164 phone, ids, hashes
    first_name: str
    last_name: str
    national_digits: str

    @classmethod
    def of(
        cls, emails: Iterable[str], phone: str, first_name: str, last_name: str, ids: Iterable[str], salt: str
    ) -> PersonNeedles:
        """emails normalized, phone E.164 (+44...), ids: unified, CRM, loyalty and record ids."""
        emails = [e.strip().lower() for e in emails if e]
        hashes = {_sha256(salt + phone), _sha256(phone)} | {
            h for e in emails for h in (_sha256(salt + e), _sha256(e))
        }
        tokens = {*emails, phone, *hashes, *(i.lower() for i in ids if i)}
        return cls(frozenset(tokens), first_name, last_name, phone[3:])

    def patterns(self) -> list[tuple[str, re.Pattern[bytes]]]:
        """(what, pattern) pairs matched against raw bytes."""
        tokens = b"|".join(re.escape(t.encode()) for t in sorted(self.tokens, key=len, reverse=True))
        digits = rb"[\s().\-/]{0,2}".join(re.escape(c.encode()) for c in self.national_digits)
        first, last = re.escape(self.first_name.encode()), re.escape(self.last_name.encode())
        return [
            ("token", re.compile(rb"(?<![A-Za-z0-9])(?:" + tokens + rb")(?![A-Za-z0-9])", re.IGNORECASE)),
            ("phone digits", re.compile(rb"(?<![0-9])" + digits + rb"(?![0-9])")),
            ("name", re.compile(first + rb"[\s,;\t\"']{1,4}" + last + rb"|" + last + rb",\s*" + first, re.I)),
        ]


def _search_bytes(blob: bytes, patterns) -> set[str]:
    found = set()
    for what, pattern in patterns:
        for match in pattern.finditer(blob):
            found.add(f"{what}: {match.group(0).decode('utf-8', 'replace').lower()}")
    return found


def _search_parquet(path: Path, needles: PersonNeedles, patterns) -> set[str]:
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception:  # noqa: BLE001 - not Parquet after all: the byte search has covered it
        return set()
    found = _search_bytes(repr(rows).encode("utf-8", "replace"), patterns)
    first, last = needles.first_name.lower(), needles.last_name.lower()
    for row in rows:
        cells = {str(v).strip().lower() for v in row.values() if isinstance(v, str)}
        if first in cells and last in cells:
            found.add(f"name pair in a row: {needles.first_name} {needles.last_name}")
    return found


def search_files(data_dir: Path, needles: PersonNeedles, under: Iterable[str] = ("",)) -> dict[str, set[str]]:
    """Relative path (`path!member` inside a zip) -> what was found, for every file with a hit."""
    patterns = needles.patterns()
    hits: dict[str, set[str]] = {}
    skipped = [data_dir / s for s in SKIPPED]
    for start in under:
        for folder, dirs, names in os.walk(data_dir / start):
            here = Path(folder)
            dirs[:] = [d for d in dirs if here / d not in skipped]
            for name in names:
                path = here / name
                if not path.is_file():
                    continue
                relative = str(path.relative_to(data_dir))
                found = _search_bytes(path.read_bytes(), patterns)
                if path.suffix == ".parquet":
                    found |= _search_parquet(path, needles, patterns)
                if found:
                    hits[relative] = found
                if zipfile.is_zipfile(path):
                    with zipfile.ZipFile(path) as archive:
                        for member in archive.namelist():
                            inner = _search_bytes(archive.read(member), patterns)
                            if inner:
                                hits[f"{relative}!{member}"] = inner
    return hits


def search_warehouse(path: Path, needles: PersonNeedles) -> dict[str, int]:
    """`schema.table` -> rows whose text holds a token of the person or both their names (DuckDB compresses
    strings in its file, so live rows are looked for by query as well as by bytes)."""
    import duckdb

    tokens = "|".join(re.escape(t) for t in sorted(needles.tokens))
    first, last = needles.first_name.lower(), needles.last_name.lower()
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        hits = {}
        for schema, table in tables:
            text = "lower(cast(r as varchar))"
            count = con.execute(
                f'select count(*) from "{schema}"."{table}" as r where regexp_matches({text}, $tokens) '
                f"or (contains({text}, $first) and contains({text}, $last) "
                f"and list_has_all([lower(trim(cast(v as varchar))) for v in json_extract_string(to_json(r), '$.*')], [$first, $last]))",
                {"tokens": tokens, "first": first, "last": last},
            ).fetchone()[0]
            if count:
                hits[f"{schema}.{table}"] = count
        return hits
    finally:
        con.close()
