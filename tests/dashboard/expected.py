"""The numbers the dashboard must show, computed here with independent SQL, and the numbers it shows.

Shared by the page tests (HTML parsed with the standard library) and the browser test (elements
read through WebDriver): both compare `shown` with `expected_metrics` by the `data-metric` hooks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb


def expected_metrics(path: Path) -> dict[str, float]:
    """Metric key -> value, straight from the warehouse (counts per segment, identity, gates, drift, audiences)."""
    con = duckdb.connect(str(path), read_only=True)
    try:

        def pairs(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        metrics: dict[str, float] = {}
        for name, n in pairs("select segment_name, count(*) from marts.customer_segments group by 1"):
            metrics[f"segment-size:{name}"] = n
        for stage, n in pairs("select lifecycle_stage, count(*) from marts.customer_lifecycle group by 1"):
            metrics[f"lifecycle-size:{stage}"] = n
        records, customers = pairs(
            "select count(*), count(distinct unified_customer_id) from marts.customer_identity_map"
        )[0]
        metrics["identity-records"], metrics["identity-customers"] = records, customers
        metrics["identity-merged"] = pairs(
            "select count(*) from (select unified_customer_id from marts.customer_identity_map "
            "group by 1 having count(*) > 1)"
        )[0][0]
        latest_gates = (
            "from marts.dq_results d where logical_date = "
            "(select max(logical_date) from marts.dq_results x where x.gate = d.gate)"
        )
        for gate, suite, passed, failed in pairs(
            f"select gate, suite, count(*) filter (where success), count(*) filter (where not success) {latest_gates} "
            "group by 1, 2"
        ):
            metrics[f"dq-passed:{gate}/{suite}"], metrics[f"dq-failed:{gate}/{suite}"] = passed, failed
        metrics["dq-passed"], metrics["dq-failed"] = pairs(
            f"select count(*) filter (where success), count(*) filter (where not success) {latest_gates}"
        )[0]
        for status, n in pairs(
            "select status, count(*) from marts.model_monitoring "
            "where logical_date = (select max(logical_date) from marts.model_monitoring) group by 1"
        ):
            metrics[f"drift-status:{status}"] = n
        for name, members, held in pairs(
            "select audience_name, count(*), count(*) filter (where is_holdout) from marts.audience_members group by 1"
        ):
            metrics[f"audience-members:{name}"], metrics[f"audience-held-out:{name}"] = members, held
        return {key: float(value) for key, value in metrics.items()}
    finally:
        con.close()


def number(text: str) -> float:
    """A number as the page writes it ("1,234", "12.5 %", "0.870") as a float."""
    cleaned = re.sub(r"[,\s%]", "", text)
    return float(cleaned)


class _MetricParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[str, str] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = dict(attrs).get("data-metric") or self._open

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.metrics[self._open] = self.metrics.get(self._open, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._open = None


def shown_in_html(page: str) -> dict[str, str]:
    """Metric key -> the text the page shows for it."""
    parser = _MetricParser()
    parser.feed(page)
    return {key: value.strip() for key, value in parser.metrics.items()}


def mismatches(expected: dict[str, float], shown: dict[str, str]) -> list[str]:
    """Every expected metric the page lacks or shows with another value."""
    problems = []
    for key, value in sorted(expected.items()):
        if key not in shown:
            problems.append(f"{key}: not on the page (expected {value:g})")
        elif number(shown[key]) != value:
            problems.append(f"{key}: page shows {shown[key]!r}, warehouse has {value:g}")
    return problems
