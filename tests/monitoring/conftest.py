"""A small warehouse with segment history, orders and input profiles, for the monitoring stage."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_platform.drift import reference_bins
from customer_platform.input_profiles import write_input_profile
from customer_platform.model_names import CHURN_MODEL, CLV_MODEL, SEGMENTATION_MODEL
from monitoring.references import ChampionReference

FIRST = dt.date(2026, 6, 1)
DATES = [FIRST + dt.timedelta(days=i) for i in range(10)]
LAST = DATES[-1]
CUSTOMERS = 1000
#: Segment of each customer on every date before the last (ids 0..2 ML, -2 a lifecycle segment).
SEGMENTS = {0: "Loyal", 1: "Bargain hunters", 2: "Big spenders", -2: "Prospects"}


def _assignments(day: dt.date) -> pd.DataFrame:
    ids = np.arange(CUSTOMERS)
    segment = np.select([ids < 400, ids < 700, ids < 800], [0, 1, 2], -2)
    if day == LAST:
        segment[:150] = 1  # the last night moves 150 Loyal customers to Bargain hunters
    return pd.DataFrame(
        {
            "unified_customer_id": [f"U{i:05d}" for i in ids],
            "segment_id": segment,
            "segment_name": [SEGMENTS[s] for s in segment],
            "model_version": 1,
            "logical_date": day,
        }
    )


def _orders(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for day in DATES:
        buyers = rng.choice(800, 60, replace=False)  # Prospects (ids 800+) never buy
        for buyer in buyers:
            amount = 40.0 + rng.normal(0, 4)
            if day == LAST and 700 <= buyer < 800:
                amount *= 8  # Big spenders' revenue jumps on the last night
            rows.append((f"O{len(rows)}", f"U{buyer:05d}", day, amount, True))
    return pd.DataFrame(
        rows, columns=["order_id", "unified_customer_id", "order_date", "net_amount", "is_completed"]
    )


def build_warehouse(path, dates=DATES) -> None:
    """Segment history for `dates` and the orders, written straight into DuckDB."""
    history = pd.concat([_assignments(day) for day in dates], ignore_index=True)
    orders = _orders(np.random.default_rng(1))
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        con.register("history_df", history)
        con.register("orders_df", orders)
        con.execute(
            "create or replace table marts.segment_history as select cast(unified_customer_id as varchar) "
            "unified_customer_id, cast(segment_id as integer) segment_id, segment_name, "
            "cast(model_version as integer) model_version, cast(logical_date as date) logical_date from history_df"
        )
        con.execute(
            "create or replace table marts.fct_orders as select order_id, unified_customer_id, "
            "cast(order_date as date) order_date, net_amount, is_completed from orders_df"
        )
    finally:
        con.close()


def churn_training_inputs() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"tenure_days": rng.gamma(4.0, 60.0, 5000), "orders_365d": rng.poisson(3, 5000)})


@pytest.fixture()
def small_warehouse(isolated_settings):
    """(settings, champion lookup): history and orders for ten dates; the churn model profiled on the last.

    The churn champion (v2) has reference bins and scored a drifted `tenure_days` on the last date;
    the segmentation champion (v1) was registered before reference bins; there is no value champion.
    """
    isolated_settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    build_warehouse(isolated_settings.warehouse_path)
    training = churn_training_inputs()
    references = reference_bins(training, list(training.columns))
    rng = np.random.default_rng(12)
    tonight = pd.DataFrame({"tenure_days": rng.gamma(4.0, 90.0, 3000), "orders_365d": rng.poisson(3, 3000)})
    write_input_profile(LAST, CHURN_MODEL, "2", references, tonight)
    champions = {
        SEGMENTATION_MODEL: ChampionReference(SEGMENTATION_MODEL, "1", None),
        CHURN_MODEL: ChampionReference(CHURN_MODEL, "2", references),
        CLV_MODEL: None,
    }
    return isolated_settings, lambda names: {name: champions[name] for name in names}
