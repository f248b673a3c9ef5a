"""Per-date ingest manifests (what was read, kept, quarantined) and the quarantine-rate gate."""

from __future__ import annotations

from typing import Any

from spark_jobs.landing import Drop

EMPTY_LINE = "empty line"  # the quarantine reason of a blank line (transforms.parse)


class QuarantineThresholdExceeded(RuntimeError):
    """A drop quarantined more than `max_quarantine_rate` of its rows; silver was not published.

    Bronze, quarantine and the manifest were written first, so the evidence is on disk.
    """

    def __init__(self, source: str, manifests: list[dict[str, Any]]):
        self.source = source
        self.manifests = manifests
        super().__init__(" | ".join(describe_breach(m) for m in manifests))


def describe_breach(manifest: dict[str, Any]) -> str:
    """One line naming source, date, rate and the files with quarantined rows."""
    files = ", ".join(
        f"{f['file']} ({f['rows_quarantined']} of {f['rows_read']} rows)"
        for f in manifest["files"]
        if f["rows_quarantined"]
    )
    reasons = ", ".join(f"{reason} ({count})" for reason, count in top_reasons(manifest))
    return (
        f"{manifest['source']} {manifest['ingest_date']}: quarantine rate {manifest['quarantine_rate']:.1%} "
        f"({manifest['rows_quarantined']} of {manifest['rows_read']} rows) exceeds the maximum "
        f"{manifest['max_quarantine_rate']:.1%}; top reasons: {reasons or 'none recorded'}; files: {files}; "
        f"see quarantine/{manifest['source']}/ingest_date={manifest['ingest_date']} "
        "(a source's own limit is its contract's quarantine.max_rate)"
    )


def top_reasons(manifest: dict[str, Any], limit: int = 3) -> list[tuple[str, int]]:
    """The most frequent quarantine reasons of a manifest, most frequent first."""
    reasons = manifest.get("quarantine_reasons") or {}
    return sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def file_entries(
    drop: Drop,
    lines: dict[str, int],
    counts: dict[tuple[str, bool], int],
    header_lines: int,
    empty: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Per file: bytes, content hash, rows read (records less the header), bronze, quarantined.

    A record is one physical line unless a quoted field spans lines (it then counts once).
    `rows_empty` counts the blank lines among the quarantined rows.
    """
    entries = []
    for f in drop.files:
        records = lines.get(f.relative, 0)
        entries.append(
            {
                "file": f.relative,
                "bytes": f.size,
                "sha256": f.scan.sha256,
                "rows_read": max(records - header_lines, 0),
                "rows_bronze": counts.get((f.relative, False), 0),
                "rows_quarantined": counts.get((f.relative, True), 0),
                "rows_empty": (empty or {}).get(f.relative, 0),
            }
        )
    return entries


def build_manifest(
    drop: Drop,
    *,
    silver_table: str,
    run_id: str,
    files: list[dict[str, Any]],
    reasons: dict[str, int],
    max_rate: float,
) -> dict[str, Any]:
    """The manifest of one date, before silver counts and timings are filled in."""
    read = sum(f["rows_read"] for f in files)
    quarantined = sum(f["rows_quarantined"] for f in files)
    rate = quarantined / read if read else 0.0
    warnings = list(drop.warnings) + [w for f in drop.files for w in f.warnings]
    bronze = sum(f["rows_bronze"] for f in files)
    if read != bronze + quarantined:  # cannot happen by construction; say so loudly if it does
        warnings.append(f"reconciliation failed: read {read} != bronze {bronze} + quarantine {quarantined}")
    status = "no_drop" if not drop.exists else "ok"
    if rate > max_rate:
        status = "quarantine_threshold_exceeded"
    return {
        "source": drop.source,
        "silver_table": silver_table,
        "ingest_date": drop.ingest_date,
        "run_id": run_id,
        "status": status,
        "rows_read": read,
        "rows_bronze": bronze,
        "rows_quarantined": quarantined,
        "rows_silver": 0,
        "rows_duplicates": 0,
        "rows_suppressed": 0,
        "quarantine_rate": round(rate, 6),
        "max_quarantine_rate": max_rate,
        "silver_published": False,
        "files": files,
        "quarantine_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "warnings": warnings,
        "anomalies": [],  # filled by spark_jobs.anomalies.annotate
        "anomaly_count": 0,
    }


def count_groups(
    groups: list[dict],
) -> tuple[dict[tuple[str, bool], int], dict[str, dict[str, int]], dict[str, int]]:
    """Rows per (file, quarantined?), quarantine reasons (text before the first ':') per date,
    and empty lines per file."""
    per_file: dict[tuple[str, bool], int] = {}
    reasons: dict[str, dict[str, int]] = {}
    empty: dict[str, int] = {}
    for g in groups:
        key = (g["_source_file"], g["quarantined"])
        per_file[key] = per_file.get(key, 0) + g["_lines"]
        if g["quarantined"] and g["_lines"]:
            by_date = reasons.setdefault(g["ingest_date"], {})
            by_date[g["reason"]] = by_date.get(g["reason"], 0) + g["_lines"]
            if g["reason"] == EMPTY_LINE:
                empty[g["_source_file"]] = empty.get(g["_source_file"], 0) + g["_lines"]
    return per_file, reasons, empty
