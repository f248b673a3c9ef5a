"""Identity statistics: source records, unified customers, merges and the match-probability histogram.

All from `marts.customer_identity_map` (one row per source record): a merged customer is one
whose cluster holds more than one record. Probabilities are binned in SQL (20 bins over 0..1),
so no record leaves the warehouse.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dashboard import charts
from dashboard.model import Chart, Section, Table, count, not_built, share, text
from dashboard.reader import Catalog, records

IDENTITY_MAP = "marts.customer_identity_map"
KEY = "unified_customer_id"
BINS = 20
TITLE = "Identity resolution"


def collect(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, Any] | None:
    """Record and customer counts, per source and match method, and the probability histogram."""
    if not catalog.has(IDENTITY_MAP, KEY, "source"):
        return None
    totals = records(
        con,
        f"with clusters as (select {KEY}, count(*) as n from {IDENTITY_MAP} group by 1) "
        f"select (select count(*) from {IDENTITY_MAP}) as source_records, count(*) as customers, "
        "count(*) filter (where n > 1) as merged, coalesce(sum(n) filter (where n > 1), 0) as merged_records "
        "from clusters",
    )[0]
    data: dict[str, Any] = {
        "totals": totals,
        "sources": records(
            con,
            f"select source, count(*) as source_records, count(distinct {KEY}) as customers "
            f"from {IDENTITY_MAP} group by 1 order by 2 desc, 1",
        ),
        "methods": [],
        "histogram": [],
        "probabilistic": None,
    }
    if catalog.has(IDENTITY_MAP, "match_method"):
        data["methods"] = records(
            con,
            f"select match_method, count(*) as source_records from {IDENTITY_MAP} group by 1 order by 2 desc",
        )
    if catalog.has(IDENTITY_MAP, "match_probability"):
        data["histogram"] = records(
            con,
            f"select least(cast(floor(match_probability * {BINS}) as integer), {BINS - 1}) as bin, "
            f"count(*) as source_records from {IDENTITY_MAP} where match_probability is not null group by 1 order by 1",
        )
    if catalog.has(IDENTITY_MAP, "match_method", "match_probability"):
        data["probabilistic"] = _probabilistic_bins(con)
    return data


def _probabilistic_bins(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Probabilities of the probabilistic matches binned over their own range (they crowd near 1)."""
    low, high = con.execute(
        f"select min(match_probability), max(match_probability) from {IDENTITY_MAP} "
        "where match_method = 'probabilistic'"
    ).fetchone()
    if low is None:
        return None
    width = (high - low) / BINS or 1.0
    rows = records(
        con,
        f"select least(cast(floor((match_probability - ?) / ?) as integer), {BINS - 1}) as bin, "
        f"count(*) as source_records from {IDENTITY_MAP} where match_method = 'probabilistic' group by 1",
        [low, width],
    )
    return {"low": low, "width": width, "bins": {int(r["bin"]): int(r["source_records"]) for r in rows}}


def build(data: dict[str, Any] | None) -> Section:
    """The identity section: headline counts, per-source and per-method tables, the histogram."""
    if data is None:
        return not_built("identity", TITLE, IDENTITY_MAP)
    section = Section("identity", TITLE)
    t = data["totals"]
    records_total = int(t["source_records"])
    section.tables.append(
        Table(
            "Identity graph",
            ("", "count"),
            (
                (text("source records"), count(t["source_records"], "identity-records")),
                (text("unified customers"), count(t["customers"], "identity-customers")),
                (text("merged customers (more than one record)"), count(t["merged"], "identity-merged")),
                (text("records in merged customers"), count(t["merged_records"], "identity-merged-records")),
                (text("records per customer"),
                 text(f"{records_total / t['customers']:.2f}" if t["customers"] else "–")),
            ),
        )
    )  # fmt: skip
    if data["histogram"]:
        by_bin = {int(r["bin"]): int(r["source_records"]) for r in data["histogram"]}
        edges = [i / BINS for i in range(BINS + 1)]
        section.charts.append(
            Chart(
                "Match probability",
                charts.histogram(
                    edges, [by_bin.get(i, 0) for i in range(BINS)], "match probability", log=True
                ),
                "Records per match-probability bin (log scale): deterministic and single-record customers carry "
                "1.0; records joined through a probabilistic match carry their model's probability.",
            )
        )
    found = data["probabilistic"]
    if found:
        edges = [found["low"] + i * found["width"] for i in range(BINS + 1)]
        section.charts.append(
            Chart(
                "Match probability of probabilistic matches",
                charts.histogram(edges, [found["bins"].get(i, 0) for i in range(BINS)], "match probability"),
                f"The {sum(found['bins'].values()):,} records joined only through a probabilistic match, "
                "binned over their own range.",
            )
        )
    sources = data["sources"]
    section.charts.append(
        Chart(
            "Records per source",
            charts.hbar(
                [s["source"] for s in sources], [int(s["source_records"]) for s in sources], "records"
            ),
            "Source records in the identity graph, by source.",
        )
    )
    section.tables.append(
        Table(
            "Per source",
            ("source", "records", "customers"),
            tuple(
                (text(s["source"]), count(s["source_records"], f"identity-records:{s['source']}"),
                 count(s["customers"]))
                for s in sources
            ),
        )
    )  # fmt: skip
    if data["methods"]:
        section.tables.append(
            Table(
                "Per match method",
                ("method", "records", "share"),
                tuple(
                    (text(m["match_method"]), count(m["source_records"], f"identity-method:{m['match_method']}"),
                     share(int(m["source_records"]) / records_total if records_total else None))
                    for m in data["methods"]
                ),
            )
        )  # fmt: skip
    return section
