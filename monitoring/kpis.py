"""KPI anomalies: a control chart per segment and KPI over the previous runs.

KPIs per segment and scored date (each date at its newest model version, from
`marts.segment_history`): `size` (customers), `revenue` (net amount of the members' completed
orders placed on that date, base currency, from `marts.fct_orders`) and `average_order_value`
(that revenue over those orders; no point on a date without an order). Tonight's value x is
compared with the mean and standard deviation (ddof 1) of the same KPI over the previous
`CDP_KPI_WINDOW` scored dates: the row's value is z = (x - mean) / sigma and its status follows
|z| against `CDP_KPI_WARNING_SIGMA` and `CDP_KPI_SIGMA` (a Shewhart chart); with fewer than
`CDP_KPI_MIN_HISTORY` earlier points the status is `insufficient_history`. Sigma is floored at
`SIGMA_FLOOR_SHARE` of |mean| and at one unit (a customer, one of the base currency), so a KPI
that stayed flat for weeks does not turn a one-customer change into an infinite z. Subjects are
`segment|kpi`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from customer_platform.monitoring_settings import MonitoringThresholds
from customer_platform.warehouse_tables import table_exists
from monitoring.results import INSUFFICIENT_HISTORY, KPI_ANOMALY, SEGMENTS_SUBJECT_MODEL, Finding, classify
from monitoring.segments import HISTORY_TABLE

ORDERS_TABLE = "marts.fct_orders"
KPIS = ("size", "revenue", "average_order_value")
#: Smallest sigma, as a share of |mean| and in units (module doc).
SIGMA_FLOOR_SHARE = 0.01
SIGMA_FLOOR_UNITS = 1.0

_DATES = f"""
with dates as (
    select logical_date, max(model_version) as model_version from {HISTORY_TABLE}
    where logical_date <= $day group by logical_date order by logical_date desc limit $dates
),
members as (
    select h.logical_date, h.segment_name, h.unified_customer_id, cast(h.model_version as varchar) as model_version
    from {HISTORY_TABLE} h inner join dates d on d.logical_date = h.logical_date and d.model_version = h.model_version
)"""
_WITH_ORDERS = f"""{_DATES},
orders as (
    select unified_customer_id, order_date, count(*) as orders, sum(net_amount) as revenue from {ORDERS_TABLE}
    where is_completed and order_date in (select logical_date from dates) group by all
)
select m.logical_date, m.segment_name, any_value(m.model_version) as model_version, count(*) as size,
    coalesce(sum(o.revenue), 0) as revenue, coalesce(sum(o.orders), 0) as orders
from members m left join orders o on o.unified_customer_id = m.unified_customer_id and o.order_date = m.logical_date
group by all order by 1, 2"""
_SIZE_ONLY = f"""{_DATES}
select logical_date, segment_name, any_value(model_version) as model_version, count(*) as size,
    null::double as revenue, 0 as orders
from members group by all order by 1, 2"""


def segment_kpis(con: duckdb.DuckDBPyConnection, day: dt.date, dates: int) -> pd.DataFrame:
    """KPIs per segment for `day` and the `dates - 1` scored dates before it (long format: one row per KPI)."""
    if not table_exists(con, HISTORY_TABLE):
        return pd.DataFrame(columns=["logical_date", "segment_name", "model_version", "kpi", "value"])
    sql = _WITH_ORDERS if table_exists(con, ORDERS_TABLE) else _SIZE_ONLY
    wide = con.execute(sql, {"day": day, "dates": dates}).df()
    wide["average_order_value"] = np.where(
        wide["orders"] > 0, wide["revenue"] / wide["orders"].clip(lower=1), np.nan
    )
    long = wide.melt(["logical_date", "segment_name", "model_version"], list(KPIS), "kpi", "value")
    long["logical_date"] = pd.to_datetime(long["logical_date"]).dt.date
    return long.dropna(subset=["value"])


def control_chart(
    subject: str, version: str, value: float, history: np.ndarray, t: MonitoringThresholds
) -> Finding:
    """The anomaly row of one KPI: tonight's `value` against its `history` (earlier points, newest last)."""
    warning, critical = t.kpi_warning_sigma, t.kpi_sigma
    if len(history) < t.kpi_min_history:
        return Finding(
            KPI_ANOMALY, SEGMENTS_SUBJECT_MODEL, version, subject, None, warning, critical, INSUFFICIENT_HISTORY,
            f"tonight {value:,.2f}; {len(history)} earlier runs, {t.kpi_min_history} needed",
        )  # fmt: skip
    mean = float(np.mean(history))
    sigma = max(float(np.std(history, ddof=1)), SIGMA_FLOOR_SHARE * abs(mean), SIGMA_FLOOR_UNITS)
    z = (value - mean) / sigma
    return Finding(
        KPI_ANOMALY, SEGMENTS_SUBJECT_MODEL, version, subject, z, warning, critical,
        classify(abs(z), warning, critical),
        f"tonight {value:,.2f} vs mean {mean:,.2f}, sigma {sigma:,.2f} over {len(history)} runs",
    )  # fmt: skip


def kpi_findings(con: duckdb.DuckDBPyConnection, day: dt.date, t: MonitoringThresholds) -> list[Finding]:
    """One control-chart row per segment and KPI that has a value tonight."""
    kpis = segment_kpis(con, day, t.kpi_window + 1)
    tonight = kpis[kpis["logical_date"] == day]
    earlier = kpis[kpis["logical_date"] < day].sort_values("logical_date")
    findings = []
    for row in tonight.itertuples(index=False):
        past = earlier[(earlier["segment_name"] == row.segment_name) & (earlier["kpi"] == row.kpi)]
        subject = f"{row.segment_name}|{row.kpi}"
        findings.append(
            control_chart(subject, row.model_version, float(row.value), past["value"].to_numpy(), t)
        )
    return findings
