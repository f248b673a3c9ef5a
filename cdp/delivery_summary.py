"""Delivery anomalies of the date's ingestion manifests, for the run summary."""

from __future__ import annotations

from collections import Counter
from typing import Any


def format_deliveries(manifests: dict[str, dict[str, Any]]) -> list[str]:
    """One heading with the count per anomaly code, then one line per anomaly (source, code, sentence)."""
    found = [(source, a) for source, m in manifests.items() for a in m.get("anomalies") or []]
    if not found:
        return ["Delivery anomalies: none"]
    counts = Counter(a["code"] for _, a in found)
    by_code = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
    lines = [f"Delivery anomalies ({len(found)}: {by_code}); ingestion went on, check the deliveries:"]
    lines += [f"  {source:<18} {a['code']:<18} {a['message']}" for source, a in found]
    return lines
