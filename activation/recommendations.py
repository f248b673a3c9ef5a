"""Product recommendations per customer from co-purchases, written to `marts.customer_recommendations`.

For each unified customer known by the logical date, up to `top_n` items they never ordered:
first the items most often bought together with what they bought (`activation.co_purchases`:
cosine similarity over completed orders in the window, `basis = 'co_purchase'`, with the item
that led there in `because_sku`), then, for the slots left (no purchase in the window, or too
little co-purchase signal), the items bought by the most customers in the window
(`basis = 'popular'`, score = the share of the window's buyers who bought it).

Only facts dated up to the logical date are read, and only customers first seen by then get
rows. The table is the current state, replaced whole in one transaction; ranks are ordered by
score then sku, so a re-run over the same facts writes the same rows.
"""

from __future__ import annotations

import datetime as dt
import time

import duckdb

from activation.co_purchases import (
    KEY,
    LINES,
    ORDERS,
    Window,
    stage_co_purchase_candidates,
    stage_lines,
    stage_similar_items,
)
from customer_platform.config import get_settings
from customer_platform.warehouse_tables import column_ddl, table_exists, warehouse_transaction

RECOMMENDATIONS_TABLE = "marts.customer_recommendations"
CUSTOMERS = "marts.dim_customers"
CO_PURCHASE, POPULAR = "co_purchase", "popular"
#: Popular items considered per customer: enough for top_n after removing what they own.
POPULAR_POOL_FACTOR = 4

RECOMMENDATION_COLUMNS: dict[str, str] = {
    KEY: "varchar",
    "logical_date": "date",
    "rank": "integer",
    "sku": "varchar",
    "category": "varchar",
    "score": "double",
    "basis": "varchar",
    "because_sku": "varchar",
    "because_category": "varchar",
}


def stage_popular_fill(con: duckdb.DuckDBPyConnection, window: Window, top_n: int) -> None:
    """`rec_popular` (the pool) and `rec_popular_fill`: popular items a customer does not own, after their co-purchase rows.

    Customers are those of `marts.dim_customers` first seen by the logical date. The pool is
    the `POPULAR_POOL_FACTOR * top_n` items with the most buyers in the window; a customer who
    owns nearly all of them gets fewer than top_n rows.
    """
    con.execute(
        """
        create or replace temp table rec_popular as
        with buyers as (
            select sku_id, count(distinct customer_key) as buyers from rec_lines
            where is_window_purchase group by sku_id
        )
        select sku_id, round(buyers / (select count(distinct customer_key) from rec_lines
            where is_window_purchase), 6) as score
        from buyers
        order by buyers desc, sku_id
        limit $pool
        """,
        {"pool": top_n * POPULAR_POOL_FACTOR},
    )
    con.execute(
        f"""
        create or replace temp table rec_popular_fill as
        with filled as (
            select customer_key, count(*) as filled from rec_co_purchase group by customer_key
        ),
        needing as (
            select c.{KEY}, k.customer_key, coalesce(f.filled, 0) as filled
            from {CUSTOMERS} as c
            left join rec_customers as k using ({KEY})
            left join filled as f using (customer_key)
            where coalesce(f.filled, 0) < $top_n
                and (c.first_seen_at is null or cast(c.first_seen_at as date) <= $logical_date)
        ),
        candidates as (
            select n.{KEY}, n.filled, p.sku_id, p.score
            from needing as n
            cross join rec_popular as p
            anti join rec_owned as o on o.customer_key = n.customer_key and o.sku_id = p.sku_id
            anti join rec_co_purchase as r on r.customer_key = n.customer_key and r.sku_id = p.sku_id
        )
        select {KEY}, sku_id, score,
            filled + row_number() over (partition by {KEY} order by score desc, sku_id) as rank
        from candidates
        qualify rank <= $top_n
        """,
        {"top_n": top_n, "logical_date": window.logical_date},
    )


def _write(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    con.execute("create schema if not exists marts")
    con.execute(f"create or replace table {RECOMMENDATIONS_TABLE} ({column_ddl(RECOMMENDATION_COLUMNS)})")
    con.execute(
        f"""
        insert into {RECOMMENDATIONS_TABLE} by name
        with picked as (
            select c.{KEY}, r.sku_id, r.score, r.rank, '{CO_PURCHASE}' as basis, r.anchor_id
            from rec_co_purchase as r
            inner join rec_customers as c using (customer_key)
            union all
            select {KEY}, sku_id, score, rank, '{POPULAR}' as basis, null as anchor_id
            from rec_popular_fill
        )
        select p.{KEY}, $logical_date as logical_date, p.rank, i.sku, i.category, p.score, p.basis,
            a.sku as because_sku, a.category as because_category
        from picked as p
        inner join rec_items as i on i.sku_id = p.sku_id
        left join rec_items as a on a.sku_id = p.anchor_id
        order by p.{KEY}, p.rank
        """,
        {"logical_date": window.logical_date},
    )


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute(
        f"""
        select
            (select count(distinct order_id) from rec_baskets),
            (select count(*) from rec_similar),
            (select count(distinct customer_key) from rec_co_purchase),
            (select count(*) from {RECOMMENDATIONS_TABLE}),
            (select count(distinct {KEY}) from {RECOMMENDATIONS_TABLE}),
            (select count(*) from (select {KEY} from {RECOMMENDATIONS_TABLE} group by {KEY}
                having bool_and(basis = '{POPULAR}')))
        """
    ).fetchone()
    keys = (
        "baskets",
        "similar_item_pairs",
        "customers_with_co_purchase",
        "rows",
        "customers",
        "customers_popular_only",
    )
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def build_recommendations(
    logical_date: str, *, top_n: int = 5, window_days: int = 365, min_support: int = 3
) -> dict:
    """Rebuild `marts.customer_recommendations` for `logical_date` (YYYY-MM-DD); a JSON-friendly summary.

    top_n: items per customer; window_days: the days of orders (ending on the logical date)
    co-purchases and popularity are counted over; min_support: the fewest baskets two items
    must share to count as bought together.
    """
    if top_n < 1 or window_days < 1 or min_support < 1:
        raise ValueError("top_n, window_days and min_support must be at least 1")
    # Each anchor keeps enough neighbours for top_n after the ones a customer owns.
    window = Window(
        dt.date.fromisoformat(logical_date), window_days, min_support, neighbours=max(20, 4 * top_n)
    )
    summary: dict = {
        "logical_date": window.logical_date.isoformat(), "window_start": window.start.isoformat(),
        "top_n": top_n, "min_support": min_support, "similarity": "cosine",
    }  # fmt: skip
    steps = {
        "lines": lambda con: stage_lines(con, window),
        "similar_items": lambda con: stage_similar_items(con, window),
        "co_purchase": lambda con: stage_co_purchase_candidates(con, top_n),
        "popular": lambda con: stage_popular_fill(con, window, top_n),
        "write": lambda con: _write(con, window),
    }
    seconds: dict[str, float] = {}
    with warehouse_transaction(restricted=True) as con:
        con.execute("set memory_limit = ?", [get_settings().duckdb_memory_limit])
        missing = [table for table in (LINES, ORDERS, CUSTOMERS) if not table_exists(con, table)]
        if missing:
            con.execute(
                f"create or replace table {RECOMMENDATIONS_TABLE} ({column_ddl(RECOMMENDATION_COLUMNS)})"
            )
            return summary | {"skipped": f"the warehouse has no {', '.join(missing)}", "rows_written": 0}
        for name, step in steps.items():
            started = time.perf_counter()
            step(con)
            seconds[name] = round(time.perf_counter() - started, 2)
        counts = _counts(con)
    return summary | counts | {"rows_written": counts["rows"], "seconds": seconds}
