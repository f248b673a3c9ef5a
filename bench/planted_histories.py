"""Planted buy-till-you-die order histories at any size, written as the dated marts predictions read.

Each customer buys by a Poisson process (a gamma-distributed daily rate) from a first purchase
day until a planted dropout day (exponential), with a gamma-distributed basket value and 5 %
returned orders; web sessions (optional) follow the same lifetime. Vectorized: a million
customers take seconds. Used by `bench.predictions` (training and scoring at 1M without the
whole pipeline) and by the prediction tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START = dt.date(2025, 1, 1)
END = dt.date(2026, 6, 30)


def _events(rng: np.random.Generator, first: np.ndarray, span: np.ndarray, rate: np.ndarray):
    """(customer index, day) of Poisson events at `rate` per day over [first, first + span)."""
    counts = rng.poisson(rate * span)
    owner = np.repeat(np.arange(len(first)), counts)
    return owner, first[owner] + (rng.random(len(owner)) * span[owner]).astype(np.int64)


def planted_histories(
    customers: int, seed: int, end: dt.date = END, activity: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, daily web activity) of `customers` planted buyers from `START` to `end`."""
    rng = np.random.default_rng(seed)
    days = (end - START).days + 1
    first = rng.integers(0, days - 30, customers)
    rate = rng.gamma(2.0, 0.02, customers)
    span = np.maximum(np.minimum(first + rng.exponential(250.0, customers).astype(np.int64), days) - first, 1)
    basket = rng.gamma(4.0, 15.0, customers)
    owner, day = _events(rng, first, span, rate)
    owner = np.concatenate([np.arange(customers), owner])  # everyone's first purchase
    day = np.concatenate([first, day])
    returned = rng.random(len(owner)) < 0.05
    ids = np.char.add("c", np.char.zfill(np.arange(customers).astype(str), 7))
    orders = pd.DataFrame(
        {
            "order_id": np.char.add("web:", np.arange(len(owner)).astype(str)),
            "unified_customer_id": ids[owner],
            "order_date": np.datetime64(START) + day.astype("timedelta64[D]"),
            "amount": np.round(rng.gamma(8.0, basket[owner] / 8.0), 2),
            "returned": returned,
        }
    )
    visits = pd.DataFrame(columns=["unified_customer_id", "activity_date", "sessions"])
    if activity:
        who, when = _events(rng, first, span, rate * 3)
        visits = (
            pd.DataFrame(
                {
                    "unified_customer_id": ids[who],
                    "activity_date": np.datetime64(START) + when.astype("timedelta64[D]"),
                }
            )
            .drop_duplicates()
            .assign(sessions=1)
        )
    return orders, visits.reset_index(drop=True)


def write_warehouse(path: Path, orders: pd.DataFrame, activity: pd.DataFrame) -> Path:
    """Write the facts as `marts.fct_orders` and `marts.fct_customer_activity_daily` (replacing them)."""
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
            "create or replace table marts.fct_customer_activity_daily as select unified_customer_id::varchar "
            "as unified_customer_id, cast(activity_date as date) as activity_date, cast(sessions as integer) "
            "as sessions, 0 as product_views, 0 as add_to_carts, 0 as emails_sent, 0 as emails_opened, "
            "0 as emails_clicked from activity_frame"
        )
    finally:
        con.close()
    return path
