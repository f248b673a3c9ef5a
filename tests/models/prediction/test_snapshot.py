"""Point-in-time features read nothing after their date; labels read only the horizon after it."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from bench.planted_histories import planted_histories, write_warehouse
from models.prediction.snapshot import (
    SNAPSHOT_FEATURES,
    btyd_summary,
    customer_snapshot,
    future_outcomes,
    interpurchase_gaps,
)

T0 = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def facts():
    return planted_histories(400, seed=3)


def _snapshot(path, as_of):
    with duckdb.connect(str(path), read_only=True) as con:
        return customer_snapshot(con, as_of), btyd_summary(con, as_of)


def _scramble_after(orders: pd.DataFrame, activity: pd.DataFrame, day: dt.date, seed: int):
    """Everything after `day` changed: amounts multiplied, returns flipped, extra orders and visits."""
    rng = np.random.default_rng(seed)
    orders = orders.copy()
    later = pd.to_datetime(orders["order_date"]).dt.date > day
    orders.loc[later, "amount"] = orders.loc[later, "amount"] * 1000
    orders.loc[later, "returned"] = ~orders.loc[later, "returned"]
    customers = orders["unified_customer_id"].unique()
    extra = pd.DataFrame(
        {
            "order_id": [f"extra-{i}" for i in range(300)],
            "unified_customer_id": rng.choice(customers, 300),
            "order_date": [day + dt.timedelta(days=int(d)) for d in rng.integers(1, 120, 300)],
            "amount": 5000.0,
            "returned": False,
        }
    )
    visits = pd.DataFrame(
        {
            "unified_customer_id": rng.choice(customers, 300),
            "activity_date": [day + dt.timedelta(days=int(d)) for d in rng.integers(1, 120, 300)],
            "sessions": 50,
        }
    )
    later_visits = pd.to_datetime(activity["activity_date"]).dt.date > day
    return pd.concat([orders, extra], ignore_index=True), pd.concat(
        [activity[~later_visits], visits], ignore_index=True
    )


def test_no_feature_reads_anything_after_the_observation_date(tmp_path, facts):
    orders, activity = facts
    original = write_warehouse(tmp_path / "a.duckdb", orders, activity)
    scrambled = write_warehouse(tmp_path / "b.duckdb", *_scramble_after(orders, activity, T0, seed=1))
    features_a, summary_a = _snapshot(original, T0)
    features_b, summary_b = _snapshot(scrambled, T0)
    assert len(features_a) > 100
    pd.testing.assert_frame_equal(features_a, features_b)
    pd.testing.assert_frame_equal(summary_a, summary_b)
    # ...while the same change one day earlier does reach them (the test can fail)
    moved = write_warehouse(
        tmp_path / "c.duckdb", *_scramble_after(orders, activity, T0 - dt.timedelta(days=1), 1)
    )
    assert not _snapshot(moved, T0)[0].equals(features_a)


def test_labels_come_from_the_horizon_after_the_date_only(tmp_path, facts):
    orders, activity = facts
    path = write_warehouse(tmp_path / "w.duckdb", orders, activity)
    with duckdb.connect(str(path), read_only=True) as con:
        features = customer_snapshot(con, T0)
        labels = future_outcomes(con, features["unified_customer_id"], T0, 90)
    o = orders.assign(order_date=pd.to_datetime(orders["order_date"]).dt.date)
    window = o[(o["order_date"] > T0) & (o["order_date"] <= T0 + dt.timedelta(days=90)) & ~o["returned"]]
    bought = set(window["unified_customer_id"])
    expected = (~features["unified_customer_id"].isin(bought)).astype(int).to_numpy()
    assert (labels["churned"].to_numpy() == expected).all()
    assert 0 < labels["churned"].mean() < 1


def test_only_buyers_before_the_date_are_scored_and_recency_is_exact(tmp_path, facts):
    orders, activity = facts
    path = write_warehouse(tmp_path / "w.duckdb", orders, activity)
    with duckdb.connect(str(path), read_only=True) as con:
        features = customer_snapshot(con, T0)
        summary = btyd_summary(con, T0)
    o = orders.assign(order_date=pd.to_datetime(orders["order_date"]).dt.date)
    before = o[(o["order_date"] <= T0) & ~o["returned"]]
    last = before.groupby("unified_customer_id")["order_date"].max()
    assert set(features["unified_customer_id"]) == set(last.index)
    recency = features.set_index("unified_customer_id")["recency_days"]
    assert all(recency[c] == (T0 - d).days for c, d in last.items())
    days = before.groupby("unified_customer_id")["order_date"].nunique()
    assert (summary.set_index("unified_customer_id")["frequency"] == days - 1).all()
    assert list(features.columns[2:]) == list(SNAPSHOT_FEATURES)
    assert features["email_open_rate_90d"].isna().all(), "no email sent: a rate is unknown, not zero"


def test_interpurchase_gaps_describe_the_distribution(tmp_path, facts):
    path = write_warehouse(tmp_path / "w.duckdb", *facts)
    with duckdb.connect(str(path), read_only=True) as con:
        gaps = interpurchase_gaps(con, dt.date(2026, 6, 30), 90)
        short = interpurchase_gaps(con, dt.date(2026, 6, 30), 7)
    assert gaps["gaps"] > 0 and gaps["p50"] <= gaps["p75"] <= gaps["p90"]
    assert 0 < short["within_horizon"] < gaps["within_horizon"] <= 1
