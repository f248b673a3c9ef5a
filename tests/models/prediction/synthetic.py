"""A small warehouse of dated facts with planted buy-till-you-die customers, for the prediction tests.

Each customer buys by a Poisson process (rate per day from a gamma) until a planted dropout
day (exponential), with a gamma-distributed basket value; web sessions follow the same
lifetime. Only the columns the prediction code reads are written to `marts.fct_orders` and
`marts.fct_customer_activity_daily`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START = dt.date(2025, 1, 1)
END = dt.date(2026, 6, 30)


def planted_histories(customers: int, seed: int, end: dt.date = END) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, daily activity) of `customers` planted buyers from `START` to `end`."""
    rng = np.random.default_rng(seed)
    days = (end - START).days + 1
    first = rng.integers(0, days - 30, customers)
    rate = rng.gamma(2.0, 0.02, customers)
    dropout = first + rng.exponential(250.0, customers).astype(int)
    basket = rng.gamma(4.0, 15.0, customers)
    orders, activity = [], []
    for i in range(customers):
        alive_until = min(dropout[i], days)
        span = max(alive_until - first[i], 1)
        n = 1 + rng.poisson(rate[i] * span)
        order_days = np.sort(np.concatenate([[first[i]], first[i] + rng.integers(0, span, n - 1)]))
        for k, d in enumerate(order_days):
            returned = rng.random() < 0.05
            amount = round(float(rng.gamma(8.0, basket[i] / 8.0)), 2)
            orders.append((f"web:{i}-{k}", f"c{i:05d}", START + dt.timedelta(days=int(d)), amount, returned))
        sessions = rng.poisson(rate[i] * 3 * span)
        for d in np.unique(first[i] + rng.integers(0, span, sessions)) if sessions else []:
            activity.append((f"c{i:05d}", START + dt.timedelta(days=int(d)), 1))
    order_frame = pd.DataFrame(
        orders, columns=["order_id", "unified_customer_id", "order_date", "amount", "returned"]
    )
    activity_frame = pd.DataFrame(activity, columns=["unified_customer_id", "activity_date", "sessions"])
    return order_frame, activity_frame


def write_warehouse(path: Path, orders: pd.DataFrame, activity: pd.DataFrame) -> Path:
    """Write the facts as the marts the prediction code reads (replacing them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.register("orders_frame", orders)
        con.register("activity_frame", activity)
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_orders as select order_id, 'web' as channel, unified_customer_id, "
            "false as is_guest, cast(order_date as date) as order_date, false as is_cancelled, returned as is_returned, "
            "not returned as is_completed, amount as gross_amount, "
            "case when returned then 0.0 else amount end as net_amount, "
            "case when returned then 0.0 else amount end as merchandise_net_amount from orders_frame"
        )
        con.execute(
            "create or replace table marts.fct_customer_activity_daily as select unified_customer_id, "
            "cast(activity_date as date) as activity_date, sessions, 0 as product_views, 0 as add_to_carts, "
            "0 as emails_sent, 0 as emails_opened, 0 as emails_clicked from activity_frame"
        )
    finally:
        con.close()
    return path
