"""Delivery anomalies: poor deliveries that still ingest, each with a stable code and a sentence.

| code | when |
|---|---|
| `empty_file` | a 0-byte file, or a JSON-lines file with no non-blank line |
| `header_only_file` | a CSV file with a header and no data row (blank lines do not count) |
| `low_volume` | the drop's rows read fall below the volume rule's band around the mean of the source's previous days (`customer_platform.volume_rule`, the silver gate's rule); no warning with too little history |
| `duplicate_delivery` | a file whose bytes (sha256) equal a file delivered earlier in the same drop or on an earlier date |

Each is a dict (`code`, `message`, and `file` when it concerns one file) in the manifest's
`anomalies` list, counted in `anomaly_count`, and repeated as "<code>: <message>" in its
`warnings`, so readers of either see it. None fails the run. The earlier days come from the
manifests already on disk (each file entry keeps its `sha256`), so no old landing file is
read again.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from customer_platform.volume_rule import VOLUME_RULE, VolumeRule, volume_bounds, without_initial_load

EMPTY_FILE = "empty_file"
HEADER_ONLY_FILE = "header_only_file"
LOW_VOLUME = "low_volume"
DUPLICATE_DELIVERY = "duplicate_delivery"
CODES = (EMPTY_FILE, HEADER_ONLY_FILE, LOW_VOLUME, DUPLICATE_DELIVERY)


def _anomaly(code: str, message: str, file: str | None = None) -> dict[str, str]:
    return {"code": code, "message": message, **({"file": file} if file else {})}


def _data_rows(entry: dict[str, Any]) -> int:
    return entry["rows_read"] - entry.get("rows_empty", 0)


def file_anomalies(manifest: dict[str, Any], is_csv: bool) -> list[dict[str, str]]:
    """Empty and header-only files of one drop."""
    found = []
    for entry in manifest["files"]:
        name = entry["file"]
        if _data_rows(entry) > 0:
            continue
        if entry["bytes"] == 0:
            found.append(_anomaly(EMPTY_FILE, f"0-byte file {name}: nothing was delivered in it", name))
        elif is_csv:
            found.append(_anomaly(HEADER_ONLY_FILE, f"{name} has a header and no data rows", name))
        else:
            found.append(_anomaly(EMPTY_FILE, f"{name} holds no record, only blank lines", name))
    return found


def duplicate_anomalies(manifest: dict[str, Any], earlier: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Files with the same bytes as one delivered before (earlier dates first, then this drop in order)."""
    first_seen: dict[str, str] = {}
    for previous in earlier:
        for entry in previous.get("files") or []:
            if entry.get("sha256") and _data_rows(entry) > 0:
                first_seen.setdefault(entry["sha256"], entry["file"])
    found = []
    for entry in manifest["files"]:
        digest = entry.get("sha256")
        if not digest or _data_rows(entry) <= 0:
            continue  # empty files are their own anomaly
        if digest in first_seen:
            message = (
                f"{entry['file']} is identical to {first_seen[digest]} (sha256 {digest[:12]}…): "
                f"its {entry['rows_read']:,} rows were delivered before"
            )
            found.append(_anomaly(DUPLICATE_DELIVERY, message, entry["file"]))
        else:
            first_seen[digest] = entry["file"]
    return found


def volume_anomaly(
    manifest: dict[str, Any], earlier: list[dict[str, Any]], rule: VolumeRule = VOLUME_RULE
) -> list[dict[str, str]]:
    """`low_volume` when the drop's rows read fall below the rule's band; [] without enough history."""
    if manifest["status"] == "no_drop":
        return []  # already named by its own warning
    day = date.fromisoformat(manifest["ingest_date"])
    delivered = {m["ingest_date"]: int(m["rows_read"]) for m in earlier if m.get("status") != "no_drop"}
    window_start = (day - timedelta(days=rule.history_days)).isoformat()
    in_window = {d: n for d, n in delivered.items() if window_start <= d < manifest["ingest_date"]}
    initial_load = min(delivered) if delivered else None
    baseline, excluded = without_initial_load(in_window, initial_load, rule.max_ratio)
    if len(baseline) < rule.min_history_days:
        return []
    mean = sum(baseline.values()) / len(baseline)
    low, _ = volume_bounds(mean, rule.min_ratio, rule.max_ratio, rule.noise_sigmas)
    read = manifest["rows_read"]
    if read >= low:
        return []
    days = sorted(baseline)
    message = (
        f"{manifest['source']} delivered {read:,} rows on {manifest['ingest_date']}, "
        f"{read / mean:.0%} of its mean of {mean:,.1f} over {len(days)} previous days "
        f"({days[0]}..{days[-1]}{f', initial load {excluded} left out' if excluded else ''}); "
        f"the volume rule expects at least {low:,}"
    )
    return [_anomaly(LOW_VOLUME, message)]


def earlier_manifests(manifests_dir: Path, source: str, skip: set[str]) -> dict[str, dict[str, Any]]:
    """The source's manifests on disk by date, without the dates in `skip` (unreadable ones are left out)."""
    found = {}
    for path in sorted((manifests_dir / source).glob("ingest_date=*/manifest.json")):
        day = path.parent.name.removeprefix("ingest_date=")
        if day in skip:
            continue
        try:
            found[day] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def annotate(manifests: dict[str, dict[str, Any]], is_csv: bool, manifests_dir: Path) -> None:
    """Add the anomalies of each date's manifest in place, oldest date first.

    Dates of this pass count as history for later dates of the same pass, whatever an
    earlier run left on disk for them.
    """
    if not manifests:
        return
    source = next(iter(manifests.values()))["source"]
    history = earlier_manifests(manifests_dir, source, skip=set(manifests))
    for day in sorted(manifests):
        manifest = manifests[day]
        history_before = {**history, **{d: manifests[d] for d in manifests if d < day}}
        earlier = [history_before[d] for d in sorted(history_before) if d < day]
        found = file_anomalies(manifest, is_csv)
        found += duplicate_anomalies(manifest, earlier) + volume_anomaly(manifest, earlier)
        manifest["anomalies"] = found
        manifest["anomaly_count"] = len(found)
        manifest["warnings"] = list(manifest["warnings"]) + [f"{a['code']}: {a['message']}" for a in found]
