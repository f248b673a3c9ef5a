"""Segments: current sizes with personas, sizes over time, revenue, order value, churn risk and value.

Reads `marts.customer_segments` (current assignment), `marts.segment_history` (one assignment per
customer and run), `marts.fct_orders` (revenue) and `marts.customer_predictions` (churn and
value, the latest scored date). Every figure is an aggregate per segment.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dashboard import charts
from dashboard.model import Chart, Section, Table, amount, count, not_built, share, text
from dashboard.reader import Catalog, records, scalar

SEGMENTS = "marts.customer_segments"
HISTORY = "marts.segment_history"
ORDERS = "marts.fct_orders"
PREDICTIONS = "marts.customer_predictions"
KEY = "unified_customer_id"
TITLE = "Segments"


def collect(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, Any] | None:
    """Per-segment aggregates, or None when there are no segments yet."""
    if not catalog.has(SEGMENTS, KEY, "segment_name"):
        return None
    has_kind = catalog.has(SEGMENTS, "segment_kind")
    has_description = catalog.has(SEGMENTS, "segment_description")
    data: dict[str, Any] = {
        "sizes": records(
            con,
            f"select segment_name, {'any_value(segment_kind)' if has_kind else 'null'} as kind, "
            f"{'any_value(segment_description)' if has_description else 'null'} as persona, "
            f"count(*) as customers from {SEGMENTS} group by segment_name "
            "order by kind = 'lifecycle', customers desc, segment_name",
        ),
        "model_version": scalar(con, f"select max(model_version) from {SEGMENTS}")
        if catalog.has(SEGMENTS, "model_version")
        else None,
        "history": [],
        "revenue": {},
        "predictions": {},
    }
    if catalog.has(HISTORY, KEY, "segment_name", "logical_date", "model_version"):
        # The newest model version of each date: a retrain on a date rewrites that date's assignment.
        data["history"] = records(
            con,
            f"select cast(h.logical_date as varchar) as logical_date, h.segment_name, count(*) as customers "
            f"from {HISTORY} h where h.model_version = (select max(x.model_version) from {HISTORY} x "
            "where x.logical_date = h.logical_date) group by all order by 1, 2",
        )
    if catalog.has(ORDERS, KEY, "net_amount", "is_completed"):
        rows = records(
            con,
            f"select s.segment_name, sum(o.net_amount) as revenue, count(*) filter (where o.is_completed) "
            f"as completed_orders from {ORDERS} o inner join {SEGMENTS} s using ({KEY}) group by 1",
        )
        data["revenue"] = {r["segment_name"]: r for r in rows}
    if catalog.has(PREDICTIONS, KEY, "logical_date", "churn_probability", "is_at_risk", "predicted_clv_12m"):
        rows = records(
            con,
            f"select s.segment_name, count(*) as scored, avg(p.churn_probability) as churn, "
            "avg(case when p.is_at_risk then 1.0 else 0.0 end) as at_risk, avg(p.predicted_clv_12m) as clv "
            f"from {PREDICTIONS} p inner join {SEGMENTS} s using ({KEY}) "
            f"where p.logical_date = (select max(logical_date) from {PREDICTIONS}) group by 1",
        )
        data["predictions"] = {r["segment_name"]: r for r in rows}
    return data


def _revenue_figures(data: dict[str, Any]) -> dict[str, tuple[float | None, float | None]]:
    """Segment -> (revenue share, average order value) from the collected revenue rows."""
    total = sum(float(r["revenue"] or 0) for r in data["revenue"].values())
    figures = {}
    for name, row in data["revenue"].items():
        revenue = float(row["revenue"] or 0)
        orders = int(row["completed_orders"] or 0)
        figures[name] = (revenue / total if total else None, revenue / orders if orders else None)
    return figures


def _table(data: dict[str, Any]) -> Table:
    revenue = _revenue_figures(data)
    columns = ["segment", "kind", "persona", "customers", "share"]
    if data["revenue"]:
        columns += ["revenue share", "average order value"]
    if data["predictions"]:
        columns += ["mean churn probability", "At-Risk share", "predicted 12-month value per customer"]
    total = sum(int(r["customers"]) for r in data["sizes"]) or 1
    rows = []
    for seg in data["sizes"]:
        name = seg["segment_name"]
        row = [text(name), text(seg["kind"] or "ml"), text(seg["persona"] or ""),
               count(seg["customers"], f"segment-size:{name}"), share(seg["customers"] / total)]  # fmt: skip
        if data["revenue"]:
            rev_share, aov = revenue.get(name, (None, None))
            row += [share(rev_share, f"segment-revenue-share:{name}"), amount(aov, f"segment-aov:{name}")]
        if data["predictions"]:
            pred = data["predictions"].get(name, {})
            row += [
                amount(pred.get("churn"), f"segment-churn:{name}", 3),
                share(pred.get("at_risk"), f"segment-at-risk:{name}"),
                amount(pred.get("clv"), f"segment-clv:{name}"),
            ]
        rows.append(tuple(row))
    caption = "Current segments" + (
        f" (model version {data['model_version']})" if data["model_version"] else ""
    )
    return Table(caption, tuple(columns), tuple(rows))


def build(data: dict[str, Any] | None) -> Section:
    """The segments section (charts and the per-segment table)."""
    if data is None:
        return not_built("segments", TITLE, SEGMENTS)
    section = Section("segments", TITLE)
    names = [s["segment_name"] for s in data["sizes"]]
    sizes = [int(s["customers"]) for s in data["sizes"]]
    section.charts.append(
        Chart(
            "Customers per segment",
            charts.hbar(names, sizes, "customers", groups=[_kind(s["kind"]) for s in data["sizes"]]),
            "Every unified customer has one segment: ML personas for buyers, lifecycle stages for the rest.",
        )
    )
    section.charts.extend(_history_charts(data["history"]))
    if data["revenue"]:
        revenue = _revenue_figures(data)
        shown = [n for n in names if n in revenue]
        section.charts.append(
            Chart(
                "Revenue share and average order value",
                charts.hbar_panels(
                    shown,
                    [
                        ("revenue share", [_pct(revenue[n][0]) for n in shown], "{:.1f} %"),
                        ("average order value", [revenue[n][1] for n in shown], "{:,.2f}"),
                    ],
                ),
                "Net revenue of all orders on record by the customers now in each segment "
                "(guest orders have no customer); order value over completed orders.",
                wide=True,
            )
        )
    else:
        section.notes.append(f"Revenue per segment: not built yet ({ORDERS} does not exist).")
    if data["predictions"]:
        shown = [n for n in names if n in data["predictions"]]
        pred = data["predictions"]
        section.charts.append(
            Chart(
                "Churn risk and predicted value",
                charts.hbar_panels(
                    shown,
                    [
                        ("mean churn probability", [pred[n]["churn"] for n in shown], "{:.2f}"),
                        ("At-Risk share", [_pct(pred[n]["at_risk"]) for n in shown], "{:.1f} %"),
                        ("predicted 12-month value", [pred[n]["clv"] for n in shown], "{:,.0f}"),
                    ],
                ),
                "Latest scored date of the churn and lifetime-value models; buyers only.",
                wide=True,
            )
        )
    else:
        section.notes.append(
            f"Churn risk and value per segment: not built yet ({PREDICTIONS} does not exist)."
        )
    section.tables.append(_table(data))
    return section


def _kind(kind: str | None) -> str:
    return "lifecycle stage" if kind == "lifecycle" else "ML persona"


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _history_charts(history: list[dict[str, Any]]) -> list[Chart]:
    if not history:
        return []
    dates = sorted({r["logical_date"] for r in history})
    names = sorted({r["segment_name"] for r in history})
    counts = {(r["logical_date"], r["segment_name"]): int(r["customers"]) for r in history}
    series = {n: [counts.get((d, n), 0) for d in dates] for n in names}
    caption = f"{len(dates)} run(s) in {HISTORY}." + (
        " Sizes over time need two runs." if len(dates) < 2 else ""
    )
    return [Chart("Segment sizes over time", charts.lines(dates, series, "customers"), caption)]
