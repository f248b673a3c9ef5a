"""Read what the ingest wrote, the way downstream readers do (DuckDB globs over ingest_date=*)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb


def read_table(table_dir: Path) -> list[dict]:
    """Every row of a lakehouse table via `<table>/ingest_date=*/*.parquet` (hive partitioning)."""
    if not list(table_dir.glob("ingest_date=*/*.parquet")):
        return []
    con = duckdb.connect()
    try:
        rel = con.execute(
            "select * from read_parquet(?, hive_partitioning = true, union_by_name = true)",
            [str(table_dir / "ingest_date=*" / "*.parquet")],
        )
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]
    finally:
        con.close()


def partition_checksums(table_dir: Path) -> dict[str, str]:
    """SHA-256 over file names and bytes, per partition folder."""
    sums = {}
    for part in sorted(table_dir.glob("ingest_date=*")):
        digest = hashlib.sha256()
        for path in sorted(part.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
        sums[part.name] = digest.hexdigest()
    return sums


def leftovers(lakehouse_dir: Path) -> list[str]:
    """Staging or trash folders anywhere in the lakehouse (a finished run leaves none)."""
    return sorted(
        str(p.relative_to(lakehouse_dir))
        for p in lakehouse_dir.rglob("*")
        if p.is_dir() and p.name in ("_staging", "_trash")
    )


def manifest(settings, source: str, ingest_date: str) -> dict:
    path = settings.manifests_dir / source / f"ingest_date={ingest_date}" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))
