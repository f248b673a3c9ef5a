"""Item-to-item co-purchases in DuckDB SQL: baskets, item similarity, and per-customer candidates.

A basket is one completed order (merchandise lines neither cancelled nor returned) in the window
`[logical_date - window_days + 1, logical_date]`. Two items are bought together when they share
a basket. Their similarity is the cosine of their basket sets,

    cosine(a, b) = together(a, b) / sqrt(baskets(a) * baskets(b)),

kept when `together >= min_support`. Cosine rather than lift: it is null-invariant (baskets
holding neither item do not move it, so a longer window or a larger shop does not inflate the
scores), it lies in 0..1 so scores compare across items, and it does not explode for rare
pairs the way lift does (two items bought once, together, have lift = number of baskets).
The minimum support keeps one-off coincidences out. Baskets larger than `max_basket_items`
(bulk and business orders) say little about what goes together and would add pairs
quadratically, so they count for `baskets(a)` but make no pairs. Each item keeps its
`neighbours` most similar items (ties: the smaller sku).

Every statement is a `create temp table` on the caller's connection, reading only facts dated
up to the logical date; table names are code constants and values are bound parameters.
Customers and skus get dense integer keys (`rec_customers`, `rec_items`) so the large joins and
groupings at a million customers work on integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from customer_platform.warehouse_tables import table_exists

KEY = "unified_customer_id"
ORDERS = "marts.fct_orders"
# Staged rows live in the restricted database (attached as `restricted`).
LINES = "restricted.staging.stg_order_lines"  # the order lines that carry a sku
ORDER_HEADERS = "restricted.staging.stg_orders"  # names the channel of lines that an order source relates
#: A candidate's best (score, anchor) packed in one BIGINT, so `max` keeps the highest score and,
#: among equal scores, the smaller anchor: score in millionths above bit 32, the anchor's
#: sku key inverted below it.
SCORE_SCALE = 1_000_000
LOW_BITS = 4_294_967_295  # 2**32 - 1


@dataclass(frozen=True)
class Window:
    """What the co-purchases read and keep."""

    logical_date: dt.date
    window_days: int = 365
    min_support: int = 3
    max_basket_items: int = 50
    neighbours: int = 20

    @property
    def start(self) -> dt.date:
        """The first day inside the window."""
        return self.logical_date - dt.timedelta(days=self.window_days - 1)


def _order_key(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(join, key expression) that gives a line the id of its order in `marts.fct_orders`.

    The warehouse prefixes order ids with the order's channel (`web:W1`); a line that an order
    source relates takes its order's channel, as `int_order_lines_unioned` does.
    """
    if table_exists(con, ORDER_HEADERS):
        join = f"left join {ORDER_HEADERS} as h on h.source = l.order_source and h.order_id = l.order_id"
        return join, "coalesce(h.channel, l.channel) || ':' || l.order_id"
    return "", "l.channel || ':' || l.order_id"


def stage_lines(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """`rec_items`, `rec_customers` and `rec_lines` from the lines with a sku on orders dated up to the logical date.

    `rec_lines`: customer_key, order_id, sku_id, is_window_purchase (a completed merchandise line
    in the window: what baskets, anchors and popularity count). A guest order (no unified
    customer, null customer_key) still tells which items go together.
    """
    join, order_key = _order_key(con)
    con.execute(
        f"""
        create or replace temp table rec_raw as
        select o.{KEY}, o.order_id, l.sku, l.category,
            o.is_completed and not coalesce(l.is_cancelled, false) and not coalesce(l.is_returned, false)
                and coalesce(l.is_merchandise, true) and o.order_date >= $window_start as is_window_purchase
        from {LINES} as l
        {join}
        inner join {ORDERS} as o on o.order_id = {order_key}
        where o.order_date <= $logical_date and l.sku is not null
        """,
        {"logical_date": window.logical_date, "window_start": window.start},
    )
    con.execute(
        "create or replace temp table rec_items as select row_number() over (order by sku)::integer as sku_id, "
        "sku, max(category) as category from rec_raw group by sku"
    )
    con.execute(
        f"create or replace temp table rec_customers as select row_number() over (order by {KEY})::integer "
        f"as customer_key, {KEY} from (select distinct {KEY} from rec_raw where {KEY} is not null)"
    )
    con.execute(
        f"""
        create or replace temp table rec_lines as
        select c.customer_key, r.order_id, i.sku_id, r.is_window_purchase
        from rec_raw as r
        inner join rec_items as i using (sku)
        left join rec_customers as c using ({KEY})
        """
    )
    con.execute("drop table rec_raw")


def stage_similar_items(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """`rec_baskets`, `rec_item_baskets` and `rec_similar` (anchor_id, sku_id, together, score, packed)."""
    con.execute(
        "create or replace temp table rec_baskets as "
        "select distinct order_id, sku_id from rec_lines where is_window_purchase"
    )
    con.execute(
        "create or replace temp table rec_item_baskets as "
        "select sku_id, count(*) as baskets from rec_baskets group by sku_id"
    )
    con.execute(
        f"""
        create or replace temp table rec_similar as
        with pair_baskets as (
            select order_id, sku_id from rec_baskets
            where order_id in (
                select order_id from rec_baskets group by order_id
                having count(*) between 2 and $max_basket_items
            )
        ),
        pairs as (
            select a.sku_id as id_a, b.sku_id as id_b, count(*) as together
            from pair_baskets as a
            inner join pair_baskets as b on a.order_id = b.order_id and a.sku_id < b.sku_id
            group by a.sku_id, b.sku_id
            having count(*) >= $min_support
        ),
        both_ways as (
            select id_a as anchor_id, id_b as sku_id, together from pairs
            union all
            select id_b as anchor_id, id_a as sku_id, together from pairs
        ),
        scored as (
            select w.anchor_id, w.sku_id, w.together,
                round(w.together / sqrt(ia.baskets * ib.baskets), 6) as score
            from both_ways as w
            inner join rec_item_baskets as ia on ia.sku_id = w.anchor_id
            inner join rec_item_baskets as ib on ib.sku_id = w.sku_id
        )
        select *, (round(score * {SCORE_SCALE})::bigint << 32) + ({LOW_BITS} - anchor_id) as packed
        from scored
        qualify row_number() over (partition by anchor_id order by score desc, sku_id) <= $neighbours
        """,
        {"max_basket_items": window.max_basket_items, "min_support": window.min_support,
         "neighbours": window.neighbours},
    )  # fmt: skip


def stage_co_purchase_candidates(con: duckdb.DuckDBPyConnection, top_n: int) -> None:
    """`rec_owned` and `rec_co_purchase` (customer_key, sku_id, score, anchor_id, rank): the top_n per customer.

    Anchors are the customer's window purchases; an item they ordered up to the logical date
    (any status) is never recommended. An item reached from several anchors keeps its best
    score and that anchor (ties: the smaller sku); ranks order by score, then sku.
    """
    con.execute(
        "create or replace temp table rec_owned as "
        "select distinct customer_key, sku_id from rec_lines where customer_key is not null"
    )
    con.execute(
        f"""
        create or replace temp table rec_co_purchase as
        with anchors as (
            select distinct customer_key, sku_id from rec_lines
            where is_window_purchase and customer_key is not null
        ),
        best as (
            select a.customer_key, s.sku_id, max(s.packed) as packed
            from anchors as a
            inner join rec_similar as s on s.anchor_id = a.sku_id
            group by a.customer_key, s.sku_id
        ),
        fresh as (
            select best.* from best
            anti join rec_owned as o on o.customer_key = best.customer_key and o.sku_id = best.sku_id
        )
        select customer_key, sku_id, (packed >> 32) / {SCORE_SCALE} as score,
            ({LOW_BITS} - (packed & {LOW_BITS}))::integer as anchor_id,
            row_number() over (partition by customer_key order by packed >> 32 desc, sku_id) as rank
        from fresh
        qualify rank <= $top_n
        """,
        {"top_n": top_n},
    )
