"""Point-in-time customer features and labels, read from the dated marts as of any day.

Everything here reads `marts.fct_orders` (orders by `order_date`) and
`marts.fct_customer_activity_daily` (web and email activity by `activity_date`) with a bound
`as_of` date and never a row after it, so features as of an observation date T0 are what the
platform knew on T0, and the labels come from (T0, T0 + horizon] only. A purchase is what RFM
counts (`is_completed`: not cancelled, merchandise netting above zero); money is
`merchandise_net_amount`, cancellations and returns subtracting. Customers are scored when
they made at least one purchase on or before the date (known buyers): a churn label needs a
customer who bought. Identity is the warehouse's current graph (which records form one
customer), an accepted approximation: it changes who a history belongs to, not when it
happened.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

ORDERS_TABLE = "marts.fct_orders"
ACTIVITY_TABLE = "marts.fct_customer_activity_daily"
KEY = "unified_customer_id"

#: Order-based features (any order source stands behind them).
ORDER_FEATURES: tuple[str, ...] = (
    "recency_days",
    "tenure_days",
    "purchases",
    "purchases_90d",
    "purchases_prior_90d",
    "purchases_365d",
    "net_spend_365d",
    "avg_order_value",
    "days_between_purchases",
    "recency_to_cadence",
    "return_rate",
)
#: Activity features: web (sessions) and email (sends, opens); null without their source.
WEB_FEATURES: tuple[str, ...] = ("sessions_30d", "sessions_90d", "days_since_last_session")
EMAIL_FEATURES: tuple[str, ...] = ("emails_sent_90d", "email_open_rate_90d", "days_since_last_email_open")
SNAPSHOT_FEATURES: tuple[str, ...] = ORDER_FEATURES + WEB_FEATURES + EMAIL_FEATURES

# `?` parameters only; the dates are bound, never pasted.
_ORDER_SQL = f"""
with orders as (
    select {KEY}, order_date, is_completed, is_cancelled, is_returned,
           merchandise_net_amount as amount
    from {ORDERS_TABLE}
    where {KEY} is not null and order_date <= $as_of
),
per_customer as (
    select
        {KEY},
        min(order_date) filter (where is_completed) as first_purchase_date,
        max(order_date) filter (where is_completed) as last_purchase_date,
        count(distinct order_date) filter (where is_completed) as purchase_days,
        count(*) filter (where is_completed) as purchases,
        count(*) filter (where is_completed and order_date > $as_of - 90) as purchases_90d,
        count(*) filter (
            where is_completed and order_date > $as_of - 180 and order_date <= $as_of - 90
        ) as purchases_prior_90d,
        count(*) filter (where is_completed and order_date > $as_of - 365) as purchases_365d,
        coalesce(sum(amount), 0) as net_spend,
        coalesce(sum(amount) filter (where order_date > $as_of - 365), 0) as net_spend_365d,
        count(*) filter (where is_cancelled or is_returned) / count(*) as return_rate
    from orders
    group by {KEY}
)
select
    {KEY},
    cast($as_of - last_purchase_date as double) as recency_days,
    cast($as_of - first_purchase_date as double) as tenure_days,
    cast(purchases as double) as purchases,
    cast(purchases_90d as double) as purchases_90d,
    cast(purchases_prior_90d as double) as purchases_prior_90d,
    cast(purchases_365d as double) as purchases_365d,
    cast(net_spend_365d as double) as net_spend_365d,
    cast(net_spend / purchases as double) as avg_order_value,
    case when purchase_days >= 2
        then cast(last_purchase_date - first_purchase_date as double) / (purchase_days - 1) end
        as days_between_purchases,
    case when purchase_days >= 2
        then ($as_of - last_purchase_date)
            / (cast(last_purchase_date - first_purchase_date as double) / (purchase_days - 1)) end
        as recency_to_cadence,
    cast(return_rate as double) as return_rate
from per_customer
where purchases >= 1
order by {KEY}
"""

_ACTIVITY_SQL = f"""
select
    {KEY},
    cast(sum(sessions) filter (where activity_date > $as_of - 30) as double) as sessions_30d,
    cast(sum(sessions) filter (where activity_date > $as_of - 90) as double) as sessions_90d,
    cast($as_of - max(activity_date) filter (where sessions > 0) as double) as days_since_last_session,
    cast(sum(emails_sent) filter (where activity_date > $as_of - 90) as double) as emails_sent_90d,
    cast(sum(emails_opened) filter (where activity_date > $as_of - 90) as double)
        / nullif(sum(emails_sent) filter (where activity_date > $as_of - 90), 0) as email_open_rate_90d,
    cast($as_of - max(activity_date) filter (where emails_opened > 0) as double)
        as days_since_last_email_open
from {ACTIVITY_TABLE}
where activity_date <= $as_of
group by {KEY}
"""

_LABEL_SQL = f"""
select
    {KEY},
    count(*) filter (where is_completed) as future_purchases,
    count(distinct order_date) filter (where is_completed) as future_purchase_days,
    cast(coalesce(sum(merchandise_net_amount), 0) as double) as future_spend
from {ORDERS_TABLE}
where {KEY} is not null and order_date > $start and order_date <= $end
group by {KEY}
"""

_BTYD_SQL = f"""
with purchase_days as (
    select {KEY}, order_date, sum(merchandise_net_amount) as day_spend
    from {ORDERS_TABLE}
    where {KEY} is not null and is_completed and order_date <= $as_of
    group by {KEY}, order_date
)
select
    {KEY},
    cast(count(*) - 1 as double) as frequency,
    cast(max(order_date) - min(order_date) as double) as recency,
    cast($as_of - min(order_date) as double) as "T",
    cast(avg(day_spend) as double) as monetary_value
from purchase_days
group by {KEY}
order by {KEY}
"""


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _has_rows(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".", 1)
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    return bool(exists) and con.execute(f"select count(*) > 0 from {table}").fetchone()[0]


def customer_snapshot(con: duckdb.DuckDBPyConnection, as_of: str | dt.date) -> pd.DataFrame:
    """Features of every customer with a purchase on or before `as_of`, from facts up to `as_of` only.

    Activity columns are null when `marts.fct_customer_activity_daily` is empty (no web or email
    source) and for customers with no activity; a model decides which columns it uses.
    """
    day = _as_date(as_of)
    frame = con.execute(_ORDER_SQL, {"as_of": day}).df()
    if _has_rows(con, ACTIVITY_TABLE):
        activity = con.execute(_ACTIVITY_SQL, {"as_of": day}).df()
        frame = frame.merge(activity, on=KEY, how="left")
    for column in WEB_FEATURES + EMAIL_FEATURES:
        if column not in frame:
            frame[column] = float("nan")
    frame[list(SNAPSHOT_FEATURES)] = frame[list(SNAPSHOT_FEATURES)].astype("float64")
    frame.insert(1, "as_of_date", day)
    return frame[[KEY, "as_of_date", *SNAPSHOT_FEATURES]]


def future_outcomes(
    con: duckdb.DuckDBPyConnection, customers: pd.Series, start: str | dt.date, horizon_days: int
) -> pd.DataFrame:
    """What `customers` did in (start, start + horizon]: purchases, purchase days, net spend, churned."""
    begin = _as_date(start)
    rows = con.execute(_LABEL_SQL, {"start": begin, "end": begin + dt.timedelta(days=horizon_days)}).df()
    out = pd.DataFrame({KEY: customers.to_numpy()}).merge(rows, on=KEY, how="left")
    out[["future_purchases", "future_purchase_days"]] = (
        out[["future_purchases", "future_purchase_days"]].fillna(0).astype("int64")
    )
    out["future_spend"] = out["future_spend"].fillna(0.0)
    out["churned"] = (out["future_purchases"] == 0).astype("int64")
    return out


def btyd_summary(con: duckdb.DuckDBPyConnection, as_of: str | dt.date) -> pd.DataFrame:
    """Buy-till-you-die summary per buyer as of a date, one transaction per purchase day.

    frequency: repeat purchase days; recency: days from the first to the last purchase day;
    T: days from the first purchase day to `as_of`; monetary_value: mean spend of all the
    purchase days, the first included (see `models.prediction.clv`).
    """
    return con.execute(_BTYD_SQL, {"as_of": _as_date(as_of)}).df()


def first_purchase_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The earliest purchase day in the warehouse, or None when there is none."""
    row = con.execute(
        f"select min(order_date) from {ORDERS_TABLE} where {KEY} is not null and is_completed"
    ).fetchone()
    return row[0] if row else None


_GAPS_SQL = f"""
with purchase_days as (
    select distinct {KEY}, order_date
    from {ORDERS_TABLE}
    where {KEY} is not null and is_completed and order_date <= $as_of
),
gaps as (
    select order_date - lag(order_date) over (partition by {KEY} order by order_date) as gap
    from purchase_days
)
select
    count(gap) as gaps,
    quantile_cont(gap, 0.5) as p50,
    quantile_cont(gap, 0.75) as p75,
    quantile_cont(gap, 0.9) as p90,
    avg(case when gap <= $horizon then 1.0 else 0.0 end) filter (where gap is not null) as within_horizon
from gaps
"""


def interpurchase_gaps(
    con: duckdb.DuckDBPyConnection, as_of: str | dt.date, horizon_days: int
) -> dict[str, float]:
    """The distribution of days between a customer's consecutive purchase days, up to `as_of`.

    The churn horizon should cover most gaps (`within_horizon`): then a customer silent for
    the whole horizon has likely left rather than paused.
    """
    row = con.execute(_GAPS_SQL, {"as_of": _as_date(as_of), "horizon": horizon_days}).fetchone()
    names = ("gaps", "p50", "p75", "p90", "within_horizon")
    return {
        name: float("nan") if value is None else float(value) for name, value in zip(names, row, strict=True)
    }
