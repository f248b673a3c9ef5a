"""Benchmark of the activation stage's nightly tables: product recommendations and next best action at any size.

`python -m bench.activation --scale 1000000` plants, in DuckDB SQL, that many customers into a
fresh warehouse under `<CDP_DATA_DIR>/bench/activation/<scale>/`: the marts the action rules
read (profile, lifecycle, segments, predictions) and 0..7 orders a customer over 18 months
(1..4 lines from 12 categories x 400 items, a skewed item popularity, a planted companion item
on half of the second lines, 5 % returned orders). It then times, with the peak RSS of the
process tree, `build_recommendations` and `run_next_best_action` on the shipped rules.
Report: `bench/results/<date>_<machine>_<scale>_activation.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import duckdb

from bench import report
from bench.monitor import RssSampler, StageRecorder

LOGICAL_DATE = "2026-06-30"
START = "2025-01-01"
DAYS = 546  # START .. LOGICAL_DATE
ITEMS_PER_CATEGORY = 400
CATEGORIES = ("apparel", "footwear", "beauty", "home", "electronics", "outlet", "garden", "toys",
              "sports", "books", "kitchen", "grocery")  # fmt: skip


def _u(*parts: str) -> str:
    """A deterministic uniform number in [0, 1) from the hash of `parts` (SQL text)."""
    return f"(hash({', '.join(parts)}) % 1000000) / 1000000.0"


def planted_warehouse(path: Path, customers: int, restricted: Path) -> dict[str, int]:
    """Write the planted marts into a new warehouse at `path` and the order lines into the restricted database."""
    restricted.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"attach '{restricted}' as restricted")
    categories = "[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
    for schema in ("marts", "restricted.staging"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(f"""
        create table marts.dim_customers as
        select 'U' || lpad(i::varchar, 8, '0') as unified_customer_id, i % 3 <> 0 as has_marketing_consent,
            i % 5 <> 0 as has_email, i % 2 = 0 as has_phone, timestamp '{START}' as first_seen_at
        from range({customers}) t(i)""")
    con.execute("""
        create table marts.customer_lifecycle as
        select unified_customer_id, (['new', 'active', 'active', 'at_risk', 'lapsed'])[1 + (hash(unified_customer_id, 1) % 5)::integer]
            as lifecycle_stage from marts.dim_customers""")
    con.execute("""
        create table marts.customer_segments as
        select unified_customer_id, 'ml' as segment_kind, (['Frequent small baskets', 'High-value regulars',
            'Lapsing customers', 'New customers', 'Occasional buyers'])[1 + (hash(unified_customer_id, 2) % 5)::integer]
            as segment_name from marts.dim_customers""")
    con.execute("""
        create table marts.customer_predictions as
        select unified_customer_id, (['low', 'low', 'medium', 'high'])[1 + (hash(unified_customer_id, 3) % 4)::integer]
            as churn_risk_band, (1 + hash(unified_customer_id, 4) % 10)::integer as clv_decile
        from marts.dim_customers""")
    con.execute(f"""
        create table orders as
        with counts as (select i, (hash(i, 5) % 8)::integer as n from range({customers}) t(i))
        select i, unnest(range(n)) as j from counts""")
    con.execute(f"""
        create table marts.fct_orders as
        select 'web:O' || i || '-' || j as order_id, 'U' || lpad(i::varchar, 8, '0') as unified_customer_id,
            date '{START}' + (hash(i, j, 6) % {DAYS})::integer as order_date,
            hash(i, j, 7) % 20 <> 0 as is_completed
        from orders""")
    anchor = f"floor({ITEMS_PER_CATEGORY} * pow({_u('i', 'j', '8')}, 3))::integer"
    other = f"floor({ITEMS_PER_CATEGORY} * pow({_u('i', 'j', 'k', '9')}, 3))::integer"
    con.execute(f"""
        create table restricted.staging.stg_order_lines as
        with lines as (
            select i, j, unnest(range(1, 2 + (hash(i, j, 10) % 4)::integer)) as k, {anchor} as anchor from orders
        ),
        items as (
            select *, i % {len(CATEGORIES)} as cat,
                case when k = 1 then anchor
                     when k = 2 and {_u("i", "j", "11")} < 0.5 then (anchor + 1) % {ITEMS_PER_CATEGORY}
                     else {other} end as item
            from lines
        )
        select 'web' as channel, 'O' || i || '-' || j as order_id, cast(null as varchar) as order_source,
            k as line_number, upper(left(({categories})[1 + cat], 3)) || '-' || lpad(item::varchar, 4, '0') as sku,
            ({categories})[1 + cat] as category, false as is_cancelled,
            hash(i, j, 7) % 20 = 0 as is_returned, true as is_merchandise
        from items""")
    con.execute("drop table orders")
    counts = {
        table: con.execute(f"select count(*) from {table}").fetchone()[0]
        for table in ("marts.dim_customers", "marts.fct_orders", "restricted.staging.stg_order_lines")
    }
    con.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the activation benchmark for one scale; writes its JSON and Markdown reports."""
    parser = argparse.ArgumentParser(prog="python -m bench.activation", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000, help="planted customers")
    args = parser.parse_args(argv)
    from customer_platform.config import get_settings, reload_settings

    root = (get_settings().bench_dir / "activation" / str(args.scale)).resolve()
    shutil.rmtree(root, ignore_errors=True)
    os.environ["CDP_DATA_DIR"] = str(root)
    os.environ.pop("CDP_WAREHOUSE_PATH", None)
    settings = reload_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)

    from activation.next_best_action import run_next_best_action
    from activation.recommendations import build_recommendations

    result = report.new_result(args.scale)
    result["dataset"] = {"customers": args.scale, "logical_date": LOGICAL_DATE}
    recorder = StageRecorder(RssSampler().start())
    with recorder.measure("planted marts and order lines", "generation") as stage:
        counts = planted_warehouse(settings.warehouse_path, args.scale, settings.restricted_path)
        stage.rows_out = counts["restricted.staging.stg_order_lines"]
        stage.detail = counts
    with recorder.measure("product recommendations", "nightly") as stage:
        summary = build_recommendations(LOGICAL_DATE)
        stage.rows_in, stage.rows_out = counts["restricted.staging.stg_order_lines"], summary["rows_written"]
        stage.detail = summary
    with recorder.measure("next best action", "nightly") as stage:
        summary = run_next_best_action(LOGICAL_DATE)
        stage.rows_in = args.scale
        stage.rows_out = summary["rows_written"]["marts.next_best_action"]
        stage.detail = summary
    recorder.sampler.stop()
    result["stages"] = [s.to_dict() for s in recorder.stages]
    result["load_end"] = report.load_average()
    out = report.RESULTS_DIR / f"{result['date']}_{result['machine_tag']}_{args.scale}_activation.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(render(result), encoding="utf-8")
    print(render(result))
    return 0


def render(result: dict) -> str:
    """A short Markdown report: one line per stage with time, peak memory and rows."""
    lines = [
        f"# Activation benchmark: {result['scale']:,} customers ({result['date']}, {result['machine_tag']}, "
        f"commit {result['code']['commit']})",
        "",
        "| stage | seconds | peak RSS (MB) | rows in | rows out |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in result["stages"]:
        lines.append(
            f"| {s['name']} | {s['seconds']:.1f} | {s['peak_rss_mb']:,.0f} | {s['rows_in'] or 0:,} | {s['rows_out'] or 0:,} |"
        )
    lines += ["", f"Load average at start / end: {result['load_start']} / {result['load_end']}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
