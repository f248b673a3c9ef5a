"""Item-to-item co-purchases in DuckDB SQL: baskets, item similarity, and per-customer candidates.

A basket is one completed order (merchandise lines neither cancelled nor returned) in the window
`(logical_date - window_days, logical_date]`. Two items are bought together when they share a
basket. Their similarity is the cosine of their basket sets,

    cosine(a, b) = together(a, b) / sqrt(baskets(a) * baskets(b)),

kept when `together >= min_support`. Cosine rather than lift: it is null-invariant (baskets
holding neither item do not move it, so a longer window or a larger shop does not inflate the
scores), it lies in 0..1 so scores compare across items, and it does not explode for rare
pairs the way lift does (two items bought once, together, have lift = number of baskets).
The minimum support keeps one-off coincidences out. Baskets larger than `max_basket_items`
(bulk and business orders) say little about what goes together and would add pairs
quadratically, so they count for item popularity but not for pairs.

Every statement is a `create temp table` on the caller's connection, reading only facts dated
up to the logical date; table names are code constants and values are bound parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from customer_platform.warehouse_tables import table_exists

KEY = "unified_customer_id"
ORDERS = "marts.fct_orders"
LINES = "staging.stg_order_lines"  # the order lines that carry a sku
ORDER_HEADERS = "staging.stg_orders"  # names the channel of lines that an order source relates


@dataclass(frozen=True)
class Window:
    """What the co-purchases read and keep."""

    logical_date: dt.date
    window_days: int = 365
    min_support: int = 3
    max_basket_items: int = 50
    neighbours: int = 20  # most similar items kept per item

    @property
    def start(self) -> dt.date:
        """The first day inside the window."""
        return self.logical_date - dt.timedelta(days=self.window_days - 1)

    def params(self) -> dict[str, object]:
        """The named parameters of the statements below."""
        return {
            "logical_date": self.logical_date, "window_start": self.start, "min_support": self.min_support,
            "max_basket_items": self.max_basket_items, "neighbours": self.neighbours,
        }  # fmt: skip


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
    """`rec_lines`: every line with a sku on a unified customer's order dated up to the logical date."""
    join, order_key = _order_key(con)
    con.execute(
        f"""
        create or replace temp table rec_lines as
        select o.{KEY}, o.order_id, o.order_date, l.sku, l.category,
            o.is_completed and not coalesce(l.is_cancelled, false) and not coalesce(l.is_returned, false)
                and coalesce(l.is_merchandise, true) as is_completed_line
        from {LINES} as l
        {join}
        inner join {ORDERS} as o on o.order_id = {order_key}
        where o.order_date <= $logical_date and o.{KEY} is not null and l.sku is not null
        """,
        {"logical_date": window.logical_date},
    )


def stage_similar_items(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """`rec_baskets`, `rec_item_baskets` and `rec_similar` (anchor_sku, sku, together, score) from `rec_lines`."""
    params = window.params()
    con.execute(
        """
        create or replace temp table rec_baskets as
        select distinct order_id, sku from rec_lines
        where is_completed_line and order_date between $window_start and $logical_date
        """,
        {k: params[k] for k in ("window_start", "logical_date")},
    )
    con.execute(
        "create or replace temp table rec_item_baskets as "
        "select sku, count(*) as baskets from rec_baskets group by sku"
    )
    con.execute(
        """
        create or replace temp table rec_similar as
        with pair_baskets as (
            select order_id, sku from rec_baskets
            where order_id in (
                select order_id from rec_baskets group by order_id
                having count(*) between 2 and $max_basket_items
            )
        ),
        pairs as (
            select a.sku as sku_a, b.sku as sku_b, count(*) as together
            from pair_baskets as a
            inner join pair_baskets as b on a.order_id = b.order_id and a.sku < b.sku
            group by a.sku, b.sku
            having count(*) >= $min_support
        ),
        both_ways as (
            select sku_a as anchor_sku, sku_b as sku, together from pairs
            union all
            select sku_b as anchor_sku, sku_a as sku, together from pairs
        )
        select w.anchor_sku, w.sku, w.together,
            round(w.together / sqrt(ia.baskets * ib.baskets), 6) as score
        from both_ways as w
        inner join rec_item_baskets as ia on ia.sku = w.anchor_sku
        inner join rec_item_baskets as ib on ib.sku = w.sku
        qualify row_number() over (partition by w.anchor_sku order by score desc, w.sku) <= $neighbours
        """,
        {k: params[k] for k in ("max_basket_items", "min_support", "neighbours")},
    )


def stage_co_purchase_candidates(con: duckdb.DuckDBPyConnection, window: Window, top_n: int) -> None:
    """`rec_owned` and `rec_co_purchase`: per customer the top_n items similar to what they bought.

    Anchors are the customer's completed items in the window; an item they ever ordered up to
    the logical date (any status) is never recommended. An item reached from several anchors
    keeps its best score and that anchor (ties: the smaller sku).
    """
    con.execute(f"create or replace temp table rec_owned as select distinct {KEY}, sku from rec_lines")
    con.execute(
        f"""
        create or replace temp table rec_co_purchase as
        with anchors as (
            select distinct {KEY}, sku from rec_lines
            where is_completed_line and order_date between $window_start and $logical_date
        ),
        candidates as (
            select a.{KEY}, s.sku, s.score, s.anchor_sku
            from anchors as a
            inner join rec_similar as s on s.anchor_sku = a.sku
            anti join rec_owned as o on o.{KEY} = a.{KEY} and o.sku = s.sku
        ),
        best as (
            select * from candidates
            qualify row_number() over (partition by {KEY}, sku order by score desc, anchor_sku) = 1
        )
        select {KEY}, sku, score, anchor_sku,
            row_number() over (partition by {KEY} order by score desc, sku) as rank
        from best
        qualify rank <= $top_n
        """,
        {"window_start": window.start, "logical_date": window.logical_date, "top_n": top_n},
    )
