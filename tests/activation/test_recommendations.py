"""Product recommendations on hand-made baskets whose co-purchase scores are worked out by hand.

Completed baskets in the 365 days up to DAY (window from 2025-07-01):

    O1 C1 {A, B}   O2 C2 {A, B}   O3 C3 {A, B, C}   O4 C4 {A, C}   O5 C5 {B, C}
    O6 guest {D, E}   O7 C6 {D, E}   O9 C7 {E}   O11 C8 {C} (its A line was returned)

Not baskets: O8 C6 {D, A} is before the window, O10 C4 {B} was cancelled. Baskets per item:
A 4, B 4, C 4, D 2, E 3; together: AB 3, AC 2, BC 2, DE 2, so the cosines are
AB 3/sqrt(4*4) = 0.75, AC = BC = 2/sqrt(4*4) = 0.5, DE = 2/sqrt(2*3) = 0.816497.
Buyers in the window (customers, guests not counted): A 4, B 4, C 4, E 2, D 1 of 8.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from activation.co_purchases import Window, stage_lines, stage_similar_items
from activation.recommendations import RECOMMENDATIONS_TABLE, build_recommendations

DAY = "2026-06-30"
CATEGORY = {"A": "apparel", "B": "apparel", "C": "home", "D": "home", "E": "beauty"}

#: order, customer (None: guest), date, completed, [(sku, returned)]
ORDERS = [
    ("O1", "C1", "2026-06-01", True, [("A", False), ("B", False)]),
    ("O2", "C2", "2026-05-01", True, [("A", False), ("B", False)]),
    ("O3", "C3", "2026-04-01", True, [("A", False), ("B", False), ("C", False)]),
    ("O4", "C4", "2026-03-01", True, [("A", False), ("C", False)]),
    ("O5", "C5", "2026-02-01", True, [("B", False), ("C", False)]),
    ("O6", None, "2026-01-10", True, [("D", False), ("E", False)]),
    ("O7", "C6", "2026-01-15", True, [("D", False), ("E", False)]),
    ("O8", "C6", "2025-06-01", True, [("D", False), ("A", False)]),
    ("O9", "C7", "2026-06-10", True, [("E", False)]),
    ("O10", "C4", "2026-06-20", False, [("B", False)]),
    ("O11", "C8", "2026-06-25", True, [("A", True), ("C", False)]),
]
#: customer -> first seen (C9 appears after DAY; C10 never ordered)
CUSTOMERS = {f"C{i}": "2025-01-01" for i in range(1, 9)} | {"C9": "2026-07-05", "C10": "2026-01-01"}
#: Facts dated after DAY: they would change C1's and everyone's recommendations if read.
FUTURE_ORDERS = [
    ("O12", "C1", "2026-07-05", True, [("A", False), ("C", False), ("E", False)]),
    ("O13", "C9", "2026-07-05", True, [("D", False), ("E", False)]),
    ("O14", "C10", "2026-07-06", True, [("B", False), ("E", False)]),
]

#: customer -> [(rank, sku, score, basis, because)] with top_n = 3, min_support = 2
EXPECTED = {
    # owns A, B: C via A and via B at 0.5 each, the smaller anchor is named; then popular
    "C1": [
        (1, "C", 0.5, "co_purchase", "A"),
        (2, "E", 0.25, "popular", None),
        (3, "D", 0.125, "popular", None),
    ],
    "C2": [
        (1, "C", 0.5, "co_purchase", "A"),
        (2, "E", 0.25, "popular", None),
        (3, "D", 0.125, "popular", None),
    ],
    # owns A, B, C: nothing left to co-purchase
    "C3": [(1, "E", 0.25, "popular", None), (2, "D", 0.125, "popular", None)],
    # owns A, C and B from a cancelled order: B is never offered
    "C4": [(1, "E", 0.25, "popular", None), (2, "D", 0.125, "popular", None)],
    # owns B, C: A via B (0.75) beats A via C (0.5)
    "C5": [
        (1, "A", 0.75, "co_purchase", "B"),
        (2, "E", 0.25, "popular", None),
        (3, "D", 0.125, "popular", None),
    ],
    # owns D, E, and A from before the window: A is owned all the same
    "C6": [(1, "B", 0.5, "popular", None), (2, "C", 0.5, "popular", None)],
    "C7": [
        (1, "D", 0.816497, "co_purchase", "E"),
        (2, "A", 0.5, "popular", None),
        (3, "B", 0.5, "popular", None),
    ],
    # the returned A is owned but is no anchor: B comes from C
    "C8": [
        (1, "B", 0.5, "co_purchase", "C"),
        (2, "E", 0.25, "popular", None),
        (3, "D", 0.125, "popular", None),
    ],
    "C10": [(1, "A", 0.5, "popular", None), (2, "B", 0.5, "popular", None), (3, "C", 0.5, "popular", None)],
}


def _connect(path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse with the restricted database (staged order lines) attached as `restricted`."""
    from customer_platform.config import get_settings
    from customer_platform.restricted_store import private_dir

    restricted = get_settings().restricted_path
    private_dir(restricted.parent)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only or restricted.exists():
        con.execute(f"attach '{restricted}' as restricted" + (" (read_only)" if read_only else ""))
    return con


def insert_orders(con: duckdb.DuckDBPyConnection, orders) -> None:
    for order_id, customer, day, completed, lines in orders:
        con.execute(
            "insert into marts.fct_orders values (?, ?, ?, ?)", [f"web:{order_id}", customer, day, completed]
        )
        for sku, returned in lines:
            con.execute(
                "insert into restricted.staging.stg_order_lines values ('web', ?, null, ?, ?, ?, ?, true)",
                [order_id, sku, CATEGORY[sku], not completed, returned],
            )


def build_warehouse(path) -> None:
    con = _connect(path)
    con.execute("create schema marts; create schema restricted.staging")
    con.execute("create table marts.dim_customers (unified_customer_id varchar, first_seen_at timestamp)")
    con.executemany("insert into marts.dim_customers values (?, ?)", list(CUSTOMERS.items()))
    con.execute(
        "create table marts.fct_orders (order_id varchar, unified_customer_id varchar, order_date date, "
        "is_completed boolean)"
    )
    con.execute(
        "create table restricted.staging.stg_order_lines (channel varchar, order_id varchar, order_source varchar, "
        "sku varchar, category varchar, is_cancelled boolean, is_returned boolean, is_merchandise boolean)"
    )
    insert_orders(con, ORDERS)
    con.close()


@pytest.fixture()
def warehouse(isolated_settings):
    """Settings over the hand-made warehouse."""
    isolated_settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    build_warehouse(isolated_settings.warehouse_path)
    return isolated_settings


def similar_items(path, **window) -> dict[tuple[str, str], tuple[int, float]]:
    """(anchor, item) -> (baskets together, cosine) as the co-purchase step computes them."""
    with _connect(path) as con:
        scope = Window(dt.date.fromisoformat(DAY), **window)
        stage_lines(con, scope)
        stage_similar_items(con, scope)
        rows = con.execute(
            "select a.sku, b.sku, s.together, s.score from rec_similar s "
            "join rec_items a on a.sku_id = s.anchor_id join rec_items b on b.sku_id = s.sku_id"
        ).fetchall()
    return {(anchor, sku): (together, score) for anchor, sku, together, score in rows}


def both_ways(pairs: dict[tuple[str, str], tuple[int, float]]) -> dict[tuple[str, str], tuple[int, float]]:
    return pairs | {(b, a): value for (a, b), value in pairs.items()}


def test_cosine_scores_match_the_hand_computation(warehouse):
    found = similar_items(warehouse.warehouse_path, min_support=1)
    assert found == both_ways(
        {("A", "B"): (3, 0.75), ("A", "C"): (2, 0.5), ("B", "C"): (2, 0.5), ("D", "E"): (2, 0.816497)}
    )
    assert similar_items(warehouse.warehouse_path, min_support=3) == both_ways({("A", "B"): (3, 0.75)})


def test_a_basket_above_the_size_cap_makes_no_pairs_but_still_counts_for_its_items(warehouse):
    # O3 {A, B, C} is too large: AB 2 of A 4 and B 4 baskets, AC and BC only once (O4, O5)
    found = similar_items(warehouse.warehouse_path, min_support=1, max_basket_items=2)
    assert found == both_ways(
        {("A", "B"): (2, 0.5), ("A", "C"): (1, 0.25), ("B", "C"): (1, 0.25), ("D", "E"): (2, 0.816497)}
    )


def read_recommendations(settings) -> dict[str, list[tuple]]:
    with _connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            f"select unified_customer_id, rank, sku, score, basis, because_sku, category, because_category, "
            f"logical_date from {RECOMMENDATIONS_TABLE} order by unified_customer_id, rank"
        ).fetchall()
    table: dict[str, list[tuple]] = {}
    for customer, rank, sku, score, basis, because, category, because_category, day in rows:
        assert category == CATEGORY[sku] and because_category == (because and CATEGORY[because])
        assert day == dt.date.fromisoformat(DAY)
        table.setdefault(customer, []).append((rank, sku, score, basis, because))
    return table


def test_customers_get_co_purchases_first_then_popular_items_they_do_not_own(warehouse):
    summary = build_recommendations(DAY, top_n=3, min_support=2)
    assert read_recommendations(warehouse) == EXPECTED
    assert summary["rows_written"] == sum(len(rows) for rows in EXPECTED.values())
    assert summary["customers_with_co_purchase"] == 5 and summary["customers_popular_only"] == 4
    assert summary["window_start"] == "2025-07-01" and summary["baskets"] == 9


def test_facts_after_the_logical_date_are_never_read_and_a_re_run_writes_the_same_rows(warehouse):
    build_recommendations(DAY, top_n=3, min_support=2)
    before = read_recommendations(warehouse)
    with _connect(warehouse.warehouse_path) as con:
        insert_orders(con, FUTURE_ORDERS)
    build_recommendations(DAY, top_n=3, min_support=2)
    assert read_recommendations(warehouse) == before == EXPECTED
    # the later facts are real: a later date does see them (C1 now owns C)
    build_recommendations("2026-07-10", top_n=3, min_support=2)
    with _connect(warehouse.warehouse_path, read_only=True) as con:
        c1 = con.execute(
            f"select sku from {RECOMMENDATIONS_TABLE} where unified_customer_id = 'C1'"
        ).fetchall()
        c9 = con.execute(
            f"select count(*) from {RECOMMENDATIONS_TABLE} where unified_customer_id = 'C9'"
        ).fetchone()
    assert ("C",) not in c1 and c9[0] > 0


def test_a_warehouse_without_order_lines_gets_an_empty_table_and_says_why(isolated_settings):
    isolated_settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with _connect(isolated_settings.warehouse_path) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_customers (unified_customer_id varchar, first_seen_at timestamp)")
    summary = build_recommendations(DAY)
    assert summary["rows_written"] == 0 and "staging.stg_order_lines" in summary["skipped"]
    with _connect(isolated_settings.warehouse_path, read_only=True) as con:
        assert con.execute(f"select count(*) from {RECOMMENDATIONS_TABLE}").fetchone() == (0,)


def test_arguments_below_one_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        build_recommendations(DAY, top_n=0)


def test_popular_items_rank_by_buyers_not_lines(warehouse):
    # C7 buys E in five more orders: E is in 8 baskets (DE = 2 / sqrt(2 * 8) = 0.5) but still has 2 buyers
    with _connect(warehouse.warehouse_path) as con:
        insert_orders(con, [(f"R{i}", "C7", f"2026-06-1{i}", True, [("E", False)]) for i in range(5)])
    build_recommendations(DAY, top_n=3, min_support=2)
    found = read_recommendations(warehouse)
    assert found["C10"] == EXPECTED["C10"]
    assert found["C7"] == [(1, "D", 0.5, "co_purchase", "E"), *EXPECTED["C7"][1:]]
