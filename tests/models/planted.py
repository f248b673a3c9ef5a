"""A planted `marts.customer_features` table: five archetypes with skew and noise.

The archetypes mirror the synthetic generator's (`docs/contracts.md`): champion,
discount_hunter, lapsing, new_customer, window_shopper. They differ in recency,
frequency, monetary, web activity, email engagement, outlet share and tenure; the
demographic columns are pure noise, so a model that clusters on them fails the test.
The truth is returned beside the table, never written into it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from models.features import CONTRACT_COLUMNS, FEATURE_COLUMNS

WINDOW_DAYS = 365
ARCHETYPE_SHARES = {
    "champion": 0.15,
    "discount_hunter": 0.25,
    "lapsing": 0.20,
    "new_customer": 0.15,
    "window_shopper": 0.25,
}
# Medians per archetype: (recency, orders, avg order value, tenure, sessions, emails, open rate, outlet share)
_PROFILE = {
    "champion": (8, 14, 95.0, 900, 30, 60, 0.55, 0.05),
    "discount_hunter": (20, 9, 22.0, 500, 18, 60, 0.40, 0.60),
    "lapsing": (240, 2, 55.0, 1000, 1, 30, 0.06, 0.15),
    "new_customer": (12, 1, 60.0, 25, 6, 4, 0.45, 0.10),
    "window_shopper": (WINDOW_DAYS + 1, 0, 0.0, 400, 45, 40, 0.25, 0.0),
}


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * rng.lognormal(0.0, sigma, n)


def _archetype_block(name: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    recency, orders, aov, tenure, sessions, emails, open_rate, outlet = _PROFILE[name]
    frequency = rng.poisson(orders, n) if orders else (rng.random(n) < 0.1).astype(int)
    frequency = np.maximum(frequency, 1) if name in ("new_customer", "lapsing") else frequency
    basket = _lognormal(rng, aov if aov else 35.0, 0.5, n)
    monetary = np.where(frequency > 0, frequency * basket, 0.0)
    recency_days = np.clip(_lognormal(rng, recency, 0.6, n), 0, WINDOW_DAYS).round()
    recency_days = np.where(frequency == 0, WINDOW_DAYS + 1, recency_days)
    tenure_days = np.maximum(_lognormal(rng, tenure, 0.4, n).round(), recency_days.clip(max=WINDOW_DAYS))
    session_count = rng.poisson(_lognormal(rng, sessions, 0.5, n))
    emails_sent = rng.poisson(_lognormal(rng, emails, 0.3, n))
    opens = np.clip(rng.normal(open_rate, 0.08, n), 0, 1)
    clicks = np.clip(opens * rng.uniform(0.1, 0.5 if name == "discount_hunter" else 0.25, n), 0, 1)
    since_engaged = np.minimum(recency_days, _lognormal(rng, 5 if sessions > 5 else 150, 0.7, n).round())
    shares = rng.dirichlet(np.ones(5) * 2, n) * (1 - np.clip(rng.normal(outlet, 0.08, n), 0, 0.95))[:, None]
    share_outlet = np.where(frequency > 0, 1 - shares.sum(axis=1), 0.0)
    shares = np.where(frequency[:, None] > 0, shares, 0.0)
    views = rng.poisson(session_count * rng.uniform(2, 5, n))
    return {
        "recency_days": recency_days,
        "frequency": frequency,
        "monetary": monetary.round(2),
        "avg_order_value": np.where(frequency > 0, monetary / np.maximum(frequency, 1), 0.0).round(2),
        "tenure_days": tenure_days,
        "return_rate": np.where(frequency > 0, rng.beta(1, 12, n), 0.0),
        # where they buy does not tell these archetypes apart: the same mix for every one
        "share_main_channel": np.where(frequency > 0, rng.beta(3, 2, n), 0.0),
        "sessions": session_count,
        "product_views": views,
        "add_to_carts": rng.binomial(views, 0.08),
        "emails_sent": emails_sent,
        "email_open_rate": np.where(emails_sent > 0, opens, 0.0),
        "email_click_rate": np.where(emails_sent > 0, clicks, 0.0),
        "days_since_last_engagement": np.minimum(since_engaged, WINDOW_DAYS + 1),
        "share_apparel": shares[:, 0],
        "share_footwear": shares[:, 1],
        "share_beauty": shares[:, 2],
        "share_home": shares[:, 3],
        "share_electronics": shares[:, 4],
        "share_outlet": share_outlet,
    }


def _score_1_to_5(values: pd.Series, ascending: bool = True) -> np.ndarray:
    ranks = values.rank(method="first", ascending=ascending, pct=True)
    return np.ceil(ranks * 5).clip(1, 5).astype(int).to_numpy()


def make_planted_features(
    n_rows: int = 1500, seed: int = 7, logical_date: str = "2026-06-30"
) -> tuple[pd.DataFrame, pd.Series]:
    """Return (features with the exact contract columns, truth archetype per row)."""
    rng = np.random.default_rng(seed)
    names = list(ARCHETYPE_SHARES)
    truth = rng.choice(names, size=n_rows, p=list(ARCHETYPE_SHARES.values()))
    frame = pd.DataFrame(index=range(n_rows), columns=list(FEATURE_COLUMNS), dtype="float64")
    for name in names:
        rows = np.flatnonzero(truth == name)
        for column, values in _archetype_block(name, len(rows), rng).items():
            frame.loc[rows, column] = values
    frame["r_score"] = _score_1_to_5(frame["recency_days"], ascending=False)
    frame["f_score"] = _score_1_to_5(frame["frequency"])
    frame["m_score"] = _score_1_to_5(frame["monetary"])
    activity = np.log1p(frame["sessions"]) + 3 * frame["email_open_rate"]
    frame["engagement_score"] = (100 * activity / activity.max()).round(1)
    frame["age_band_index"] = rng.integers(0, 6, n_rows)
    frame["income_band_index"] = rng.integers(0, 3, n_rows)
    frame["household_size"] = rng.integers(1, 6, n_rows)
    frame["has_children"] = rng.integers(0, 2, n_rows)
    frame["is_urban"] = rng.integers(0, 2, n_rows)
    frame["has_demographics"] = (rng.random(n_rows) < 0.7).astype(int)
    frame["has_marketing_consent"] = (rng.random(n_rows) < 0.6).astype(int)
    frame.insert(0, "unified_customer_id", [f"U{seed:02d}{i:07d}" for i in rng.permutation(n_rows)])
    frame.insert(1, "logical_date", dt.date.fromisoformat(logical_date))
    order = frame["unified_customer_id"].argsort(kind="stable").to_numpy()
    frame = frame.iloc[order].reset_index(drop=True)
    truth_series = pd.Series(truth[order], name="archetype")
    return frame[list(CONTRACT_COLUMNS)], truth_series


_INT_COLUMNS = {
    "recency_days", "frequency", "tenure_days", "r_score", "f_score", "m_score", "sessions",
    "product_views", "add_to_carts", "emails_sent", "days_since_last_engagement", "age_band_index",
    "income_band_index", "household_size", "has_children", "is_urban", "has_demographics",
    "has_marketing_consent",
}  # fmt: skip


def write_features_table(frame: pd.DataFrame, warehouse_path: Path, replace: bool = True) -> None:
    """Write `frame` as `marts.customer_features` with the contract's column types."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    casts = ", ".join(
        f"cast({c} as {'integer' if c in _INT_COLUMNS else 'double'}) as {c}" for c in FEATURE_COLUMNS
    )
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema if not exists marts")
        con.register("planted_features", frame)
        verb = "create or replace table" if replace else "insert into"
        verb += " marts.customer_features" + (" as" if replace else "")
        con.execute(
            f"{verb} select cast(unified_customer_id as varchar) as unified_customer_id, "
            f"cast(logical_date as date) as logical_date, {casts} from planted_features"
        )
    finally:
        con.close()


#: Anonymous cookie-only customers `write_lifecycle_table` adds: in the lifecycle table, not in features.
PLANTED_ANONYMOUS = 40


def planted_lifecycle(frame: pd.DataFrame, anonymous: int = PLANTED_ANONYMOUS) -> pd.DataFrame:
    """A `marts.customer_lifecycle` for planted features: known buyers, known prospects, and
    `anonymous` cookie-only customers with no feature row (ids `A…`)."""
    day = frame["logical_date"].iloc[0]
    stage = np.where(frame["frequency"] > 0, "active", "prospect")
    known = pd.DataFrame(
        {"unified_customer_id": frame["unified_customer_id"], "lifecycle_stage": stage, "is_known": True}
    )
    cookies = pd.DataFrame(
        {
            "unified_customer_id": [f"A{i:07d}" for i in range(anonymous)],
            "lifecycle_stage": "anonymous",
            "is_known": False,
        }
    )
    lifecycle = pd.concat([known, cookies], ignore_index=True)
    lifecycle.insert(1, "logical_date", day)
    return lifecycle.sort_values("unified_customer_id", kind="stable").reset_index(drop=True)


def write_lifecycle_table(frame: pd.DataFrame, warehouse_path: Path, replace: bool = True) -> pd.DataFrame:
    """Write `planted_lifecycle(frame)` as `marts.customer_lifecycle`; returns it."""
    lifecycle = planted_lifecycle(frame)
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema if not exists marts")
        con.register("planted_lifecycle", lifecycle)
        verb = (
            "create or replace table marts.customer_lifecycle as"
            if replace
            else "insert into marts.customer_lifecycle"
        )
        con.execute(
            f"{verb} select cast(unified_customer_id as varchar) as unified_customer_id, "
            "cast(logical_date as date) as logical_date, cast(lifecycle_stage as varchar) as lifecycle_stage, "
            "cast(is_known as boolean) as is_known from planted_lifecycle"
        )
    finally:
        con.close()
    return lifecycle


def write_planted_warehouse(frame: pd.DataFrame, warehouse_path: Path, replace: bool = True) -> pd.DataFrame:
    """Write the planted features and their lifecycle table; returns the lifecycle rows."""
    write_features_table(frame, warehouse_path, replace)
    return write_lifecycle_table(frame, warehouse_path, replace)
