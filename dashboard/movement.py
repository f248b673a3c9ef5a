"""Movement between runs: who changed segment (and lifecycle stage) between the last two runs.

Segment movement comes from `marts.segment_history` (the newest model version of each of the
last two logical dates). `marts.customer_lifecycle` holds the current stage only; lifecycle
movement is drawn from any warehouse table that keeps stages per customer and logical date
(`unified_customer_id`, `lifecycle_stage`, `logical_date`) once it holds two dates, and
otherwise the section shows the stage sizes and says movement needs a stage history.
"""

from __future__ import annotations

from typing import Any

import duckdb

from dashboard import charts
from dashboard.model import Chart, Section, Table, count, not_built, text
from dashboard.reader import Catalog, records, scalar

HISTORY = "marts.segment_history"
LIFECYCLE = "marts.customer_lifecycle"
KEY = "unified_customer_id"
NEW, GONE = "(new)", "(gone)"
TITLE = "Movement between runs"


def _quoted(table: str) -> str:
    """`schema.table` from the catalog as a quoted identifier."""
    schema, name = table.split(".", 1)
    return f'"{schema}"."{name}"'


def transitions(
    con: duckdb.DuckDBPyConnection, table: str, column: str, versioned: bool
) -> dict[str, Any] | None:
    """(from, to, customers) between the last two logical dates of `table`, or None below two dates.

    versioned: the table has `model_version`; each date then counts its newest version only.
    """
    source = _quoted(table)
    newest = (
        f"t.model_version = (select max(x.model_version) from {source} x where x.logical_date = t.logical_date)"
        if versioned
        else "true"
    )
    dates = [
        r[0]
        for r in con.execute(f"select distinct logical_date from {source} order by 1 desc limit 2").fetchall()
    ]
    if len(dates) < 2:
        return None
    latest, previous = dates
    rows = records(
        con,
        f"""
        with current_run as (select t.{KEY}, t.{column} as value from {source} t
                             where {newest} and t.logical_date = ?),
             previous_run as (select t.{KEY}, t.{column} as value from {source} t
                              where {newest} and t.logical_date = ?)
        select coalesce(p.value, '{NEW}') as source_value, coalesce(c.value, '{GONE}') as target_value,
               count(*) as customers
        from previous_run p full outer join current_run c using ({KEY})
        group by all order by all
        """,
        [latest, previous],
    )
    return {"table": table, "previous": str(previous), "latest": str(latest), "rows": rows}


def collect(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, Any]:
    """Segment and lifecycle transitions, and the current lifecycle stage sizes."""
    data: dict[str, Any] = {"segments": None, "segment_runs": 0, "lifecycle": None, "stages": None}
    if catalog.has(HISTORY, KEY, "segment_name", "logical_date", "model_version"):
        data["segment_runs"] = int(scalar(con, f"select count(distinct logical_date) from {HISTORY}") or 0)
        data["segments"] = transitions(con, HISTORY, "segment_name", versioned=True)
    if catalog.has(LIFECYCLE, KEY, "lifecycle_stage"):
        rank = "min(lifecycle_stage_rank)" if catalog.has(LIFECYCLE, "lifecycle_stage_rank") else "0"
        data["stages"] = records(
            con,
            f"select lifecycle_stage, count(*) as customers, {rank} as stage_rank "
            f"from {LIFECYCLE} group by 1 order by stage_rank, 1",
        )
    for table in catalog.tables_with(KEY, "lifecycle_stage", "logical_date"):
        found = transitions(con, table, "lifecycle_stage", versioned=False)
        if found:
            data["lifecycle"] = found
            break
    return data


def _matrix(found: dict[str, Any], order: list[str]) -> tuple[list[str], list[str], list[list[int]]]:
    """Rows (from), columns (to) and counts; known values in `order`, then any others, new/gone last."""
    values = {r["source_value"] for r in found["rows"]} | {r["target_value"] for r in found["rows"]}
    known = [v for v in order if v in values] + sorted(values - set(order) - {NEW, GONE})
    rows = known + ([NEW] if any(r["source_value"] == NEW for r in found["rows"]) else [])
    columns = known + ([GONE] if any(r["target_value"] == GONE for r in found["rows"]) else [])
    cells = {(r["source_value"], r["target_value"]): int(r["customers"]) for r in found["rows"]}
    return rows, columns, [[cells.get((a, b), 0) for b in columns] for a in rows]


def _summary(found: dict[str, Any], prefix: str, caption: str) -> Table:
    def total(predicate) -> int:
        return sum(
            int(r["customers"]) for r in found["rows"] if predicate(r["source_value"], r["target_value"])
        )

    moved = total(lambda a, b: a != b and NEW not in (a, b) and GONE not in (a, b))
    stayed = total(lambda a, b: a == b)
    new = total(lambda a, b: a == NEW)
    gone = total(lambda a, b: b == GONE)
    return Table(
        caption,
        ("", "customers"),
        (
            (text("stayed"), count(stayed, f"{prefix}-stayed")),
            (text("moved"), count(moved, f"{prefix}-moved")),
            (text("new"), count(new, f"{prefix}-new")),
            (text("gone"), count(gone, f"{prefix}-gone")),
        ),
    )


def _transition_chart(found: dict[str, Any], order: list[str], what: str) -> Chart:
    rows, columns, counts = _matrix(found, order)
    return Chart(
        f"{what.capitalize()} movement: {found['previous']} → {found['latest']}",
        charts.heatmap(
            rows, columns, counts, f"{what} on {found['latest']}", f"{what} on {found['previous']}"
        ),
        f"Customers by {what} in the previous run (rows) and the latest run (columns), from {found['table']}.",
    )


def build(data: dict[str, Any], segment_order: list[str]) -> Section:
    """The movement section; segment_order: segment names in the order the segments section shows them."""
    if data["segments"] is None and data["stages"] is None and data["segment_runs"] == 0:
        return not_built("movement", TITLE, f"{HISTORY} (and {LIFECYCLE})")
    section = Section("movement", TITLE)
    if data["segments"]:
        section.charts.append(_transition_chart(data["segments"], segment_order, "segment"))
        section.tables.append(
            _summary(data["segments"], "segment", "Segment movement between the last two runs")
        )
    else:
        section.notes.append(
            f"Segment movement needs two runs in {HISTORY}; it holds {data['segment_runs']} so far."
        )
    stage_order = [s["lifecycle_stage"] for s in data["stages"] or []]
    if data["lifecycle"]:
        section.charts.append(_transition_chart(data["lifecycle"], stage_order, "lifecycle stage"))
        section.tables.append(
            _summary(data["lifecycle"], "lifecycle", "Lifecycle movement between the last two runs")
        )
    elif data["stages"] is not None:
        section.notes.append(
            f"Lifecycle movement needs stages from two runs: {LIFECYCLE} keeps the current stage only and no "
            "table keeps a stage history yet. Current stage sizes are shown instead."
        )
    if data["stages"] is not None:
        section.charts.append(
            Chart(
                "Lifecycle stages now",
                charts.hbar(stage_order, [int(s["customers"]) for s in data["stages"]], "customers"),
                f"Rule-based stage of every unified customer ({LIFECYCLE}).",
            )
        )
        section.tables.append(
            Table(
                "Lifecycle stages",
                ("stage", "customers"),
                tuple(
                    (
                        text(s["lifecycle_stage"]),
                        count(s["customers"], f"lifecycle-size:{s['lifecycle_stage']}"),
                    )
                    for s in data["stages"]
                ),
            )
        )
    else:
        section.notes.append(f"Lifecycle stages: not built yet ({LIFECYCLE} does not exist).")
    return section
