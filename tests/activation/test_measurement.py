"""Campaign lift: the statistics, their coverage, and the results table and report from the warehouse."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, ttest_ind

from activation.lift import conversion_lift, revenue_lift, sample_warning
from activation.run import activate_audiences, measure_campaigns
from tests.activation.conftest import DAY


def test_conversion_lift_matches_the_textbook_formulas():
    result = conversion_lift(60, 400, 30, 400)
    assert result["treatment_rate"] == 0.15 and result["holdout_rate"] == 0.075
    se = np.sqrt(0.15 * 0.85 / 400 + 0.075 * 0.925 / 400)
    assert result["lift_abs_low"] == pytest.approx(0.075 - 1.959964 * se, rel=1e-5)
    pooled = 90 / 800
    z = 0.075 / np.sqrt(pooled * (1 - pooled) * (2 / 400))
    assert result["p_value"] == pytest.approx(2 * (1 - norm.cdf(z)), rel=1e-6)
    assert result["lift_rel"] == pytest.approx(1.0)
    assert result["lift_rel_low"] < 1.0 < result["lift_rel_high"]
    assert np.isnan(conversion_lift(0, 0, 1, 10)["lift_abs"])


def test_revenue_lift_is_welchs_test():
    rng = np.random.default_rng(1)
    t, h = rng.gamma(1.0, 30.0, 300), rng.gamma(1.0, 25.0, 200)
    result = revenue_lift(t, h)
    reference = ttest_ind(t, h, equal_var=False)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    assert result["lift_abs_low"] == pytest.approx(reference.confidence_interval().low)


def test_the_conversion_interval_covers_a_known_uplift_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(400):
        n_t, n_h, base, uplift = 1600, 400, 0.2, 0.05
        conv_t, conv_h = rng.binomial(n_t, base + uplift), rng.binomial(n_h, base)
        r = conversion_lift(int(conv_t), n_t, int(conv_h), n_h)
        covered += r["lift_abs_low"] <= uplift <= r["lift_abs_high"]
    assert 0.92 <= covered / 400 <= 0.98


def test_small_samples_are_flagged():
    assert "fewer than 100 members" in sample_warning(80, 20, 15, 12)
    assert "fewer than 10 conversions" in sample_warning(500, 200, 50, 4)
    assert sample_warning(500, 200, 50, 20) == ""


def test_campaign_results_measure_planted_orders_per_segment(activation_env):
    settings, _, _ = activation_env
    activate_audiences(DAY.isoformat())
    with duckdb.connect(str(settings.warehouse_path)) as con:
        members = con.execute(
            "select unified_customer_id, is_holdout from marts.audience_members order by 1"
        ).df()
        # Every treatment member buys 3 days after entering; every fourth holdout member too; one
        # order after the 7-day window and one on the entry day itself must not count.
        buyers = members[~members["is_holdout"] | (np.arange(len(members)) % 4 == 0)]
        entered = pd.Timestamp(DAY) + pd.Timedelta(days=1)
        orders = [
            (f"O{i}", c, entered + pd.Timedelta(days=3), True, 20.0)
            for i, c in enumerate(buyers["unified_customer_id"])
        ]
        late = members["unified_customer_id"].iloc[1]
        orders += [
            ("late", late, entered + pd.Timedelta(days=9), True, 500.0),
            ("same-day", late, pd.Timestamp(DAY), True, 500.0),
        ]
        con.executemany(
            "insert into marts.fct_orders values (?, ?, ?, cast(? as date), ?, ?)",
            [(o, c, t, t, done, amount) for o, c, t, done, amount in orders],
        )
    early = measure_campaigns((DAY + dt.timedelta(days=3)).isoformat())
    assert early["campaigns"]["win_back"]["treatment"] == 0
    assert "still open" in early["campaigns"]["win_back"]["warning"]
    assert early["campaigns"]["win_back"]["conversion_lift_abs"] is None, "no NaN in a task's result"
    json.dumps(early, allow_nan=False)  # what Airflow stores as the task's XCom
    result = measure_campaigns((DAY + dt.timedelta(days=8)).isoformat())
    overall = result["campaigns"]["win_back"]
    holdout = members[members["is_holdout"]]
    holdout_rate = float((np.flatnonzero(members["is_holdout"]) % 4 == 0).mean())
    assert overall["treatment"] == int((~members["is_holdout"]).sum()) and overall["holdout"] == len(holdout)
    assert overall["conversion_lift_abs"] == pytest.approx(1.0 - holdout_rate)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        table = con.execute(
            "select * from marts.campaign_results where logical_date = ?", [DAY + dt.timedelta(days=8)]
        ).df()
    segments = table[table["segment_name"] != "All"]
    assert segments["treatment_members"].sum() == overall["treatment"]
    assert (table["treatment_revenue_per_member"] == 20.0).all(), (
        "late and same-day orders are outside the window"
    )
    report = (settings.reports_dir / "campaigns" / "2026-06-18.html").read_text()
    assert "win_back" in report and "data:image/png;base64," in report and "@" not in report
    again = measure_campaigns((DAY + dt.timedelta(days=8)).isoformat())
    assert again["rows_written"] == len(table)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        per_date = dict(
            con.execute("select logical_date, count(*) from marts.campaign_results group by 1").fetchall()
        )
    assert per_date == {
        DAY + dt.timedelta(days=3): early["rows_written"],
        DAY + dt.timedelta(days=8): len(table),
    }
