"""Campaign measurement: conversion and revenue of treatment against holdout, per campaign and segment.

Campaigns come from two places:
- the platform's audiences: each member's first entry (`marts.audience_membership_history`),
  treated from the day after (exports leave at night); holdout = the audience's holdout flag;
- campaigns run elsewhere and logged with their own holdout (`marts.fct_campaign_members`,
  from a `campaign_member` source): treated from `assigned_at`.
A member converts with a completed order in (entered, entered + attribution window]; revenue is
the net amount of those orders. Only members whose window has closed by the logical date are
measured (the others are counted as pending). Segments are the customers' current segments
(`marts.customer_segments`), plus `All`. Statistics: `activation.lift`.

`marts.campaign_results`: one row per campaign × segment × logical date, replaced per date.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from activation.catalog import KEY
from activation.lift import conversion_lift, revenue_lift, sample_warning
from activation.membership import HISTORY_TABLE
from customer_platform.warehouse_tables import ensure_table, replace_rows, table_exists

RESULTS_TABLE = "marts.campaign_results"
CAMPAIGN_LOG_TABLE = "marts.fct_campaign_members"
ORDERS_TABLE = "marts.fct_orders"
SEGMENTS_TABLE = "marts.customer_segments"
ALL_SEGMENTS = "All"
DEFAULT_ATTRIBUTION_DAYS = 14
RESULT_COLUMNS: dict[str, str] = {
    "campaign_id": "varchar", "campaign_source": "varchar", "segment_name": "varchar", "logical_date": "date",
    "attribution_days": "integer", "treatment_members": "integer", "holdout_members": "integer",
    "pending_members": "integer", "treatment_conversions": "integer", "holdout_conversions": "integer",
    "treatment_conversion_rate": "double", "holdout_conversion_rate": "double",
    "conversion_lift_abs": "double", "conversion_lift_abs_low": "double", "conversion_lift_abs_high": "double",
    "conversion_lift_rel": "double", "conversion_lift_rel_low": "double", "conversion_lift_rel_high": "double",
    "conversion_p_value": "double", "treatment_revenue_per_member": "double",
    "holdout_revenue_per_member": "double", "revenue_lift_abs": "double", "revenue_lift_abs_low": "double",
    "revenue_lift_abs_high": "double", "revenue_p_value": "double", "warning": "varchar",
}  # fmt: skip


def campaign_members(con: duckdb.DuckDBPyConnection, windows: dict[str, int]) -> pd.DataFrame:
    """(campaign_id, campaign_source, customer, is_holdout, entered_at, attribution_days) of every campaign.

    windows: attribution days per audience name (audiences no longer on file use the default).
    """
    frames = []
    if table_exists(con, HISTORY_TABLE):
        audiences = con.execute(
            f"""
            select audience_name as campaign_id, 'audience' as campaign_source, {KEY}, is_holdout,
                cast(logical_date + interval 1 day as timestamp) as entered_at
            from {HISTORY_TABLE} where change = 'entered'
            qualify row_number() over (partition by audience_name, {KEY} order by logical_date) = 1
            """
        ).df()
        audiences["attribution_days"] = [
            windows.get(n, DEFAULT_ATTRIBUTION_DAYS) for n in audiences["campaign_id"]
        ]
        frames.append(audiences)
    if table_exists(con, CAMPAIGN_LOG_TABLE):
        logged = con.execute(
            f"""
            select campaign_id, 'campaign_log' as campaign_source, {KEY}, "group" = 'holdout' as is_holdout,
                cast(assigned_at as timestamp) as entered_at
            from {CAMPAIGN_LOG_TABLE} where {KEY} is not null
            """
        ).df()
        frames.append(logged.assign(attribution_days=DEFAULT_ATTRIBUTION_DAYS))
    columns = ["campaign_id", "campaign_source", KEY, "is_holdout", "entered_at", "attribution_days"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def member_outcomes(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Members with `is_measured` (window closed by the end of `day`), `converted`, `revenue`, `segment_name`."""
    con.register("campaign_member_rows", members)
    segments = (
        f"left join (select {KEY}, segment_name from {SEGMENTS_TABLE}) as s using ({KEY})"
        if table_exists(con, SEGMENTS_TABLE)
        else f"left join (select null::varchar as {KEY}, null::varchar as segment_name) as s using ({KEY})"
    )
    try:
        return con.execute(
            f"""
            with windows as (
                select *, entered_at + to_days(cast(attribution_days as integer)) as window_end
                from campaign_member_rows
            ),
            attributed as (
                select w.campaign_id, w.{KEY}, count(o.order_id) as orders, coalesce(sum(o.net_amount), 0) as revenue
                from windows as w
                left join {ORDERS_TABLE} as o
                    on o.{KEY} = w.{KEY} and o.is_completed
                    and o.ordered_at > w.entered_at and o.ordered_at <= w.window_end
                group by 1, 2
            )
            select w.campaign_id, w.campaign_source, w.{KEY}, w.is_holdout, w.attribution_days,
                w.window_end <= cast(? as date) + interval 1 day as is_measured,
                a.orders > 0 as converted, a.revenue, coalesce(s.segment_name, 'Unsegmented') as segment_name
            from windows as w
            join attributed as a using (campaign_id, {KEY})
            {segments}
            """,
            [day],
        ).df()
    finally:
        con.unregister("campaign_member_rows")


def _result_row(group: pd.DataFrame) -> dict[str, object]:
    measured = group[group["is_measured"]]
    t, h = measured[~measured["is_holdout"]], measured[measured["is_holdout"]]
    conv_t, conv_h = int(t["converted"].sum()), int(h["converted"].sum())
    conversion = conversion_lift(conv_t, len(t), conv_h, len(h))
    revenue = revenue_lift(t["revenue"].to_numpy(), h["revenue"].to_numpy())
    pending = int((~group["is_measured"]).sum())
    warning = sample_warning(len(t), len(h), conv_t, conv_h)
    if pending and not len(measured):
        warning = f"attribution window still open for all {pending} members"
    return {
        "attribution_days": int(group["attribution_days"].max()),
        "treatment_members": len(t), "holdout_members": len(h), "pending_members": pending,
        "treatment_conversions": conv_t, "holdout_conversions": conv_h,
        "treatment_conversion_rate": conversion["treatment_rate"], "holdout_conversion_rate": conversion["holdout_rate"],
        "conversion_lift_abs": conversion["lift_abs"], "conversion_lift_abs_low": conversion["lift_abs_low"],
        "conversion_lift_abs_high": conversion["lift_abs_high"], "conversion_lift_rel": conversion["lift_rel"],
        "conversion_lift_rel_low": conversion["lift_rel_low"], "conversion_lift_rel_high": conversion["lift_rel_high"],
        "conversion_p_value": conversion["p_value"], "treatment_revenue_per_member": revenue["treatment_mean"],
        "holdout_revenue_per_member": revenue["holdout_mean"], "revenue_lift_abs": revenue["lift_abs"],
        "revenue_lift_abs_low": revenue["lift_abs_low"], "revenue_lift_abs_high": revenue["lift_abs_high"],
        "revenue_p_value": revenue["p_value"], "warning": warning,
    }  # fmt: skip


def campaign_results(outcomes: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """One row per campaign × segment (and `All`), in `RESULT_COLUMNS` order."""
    rows = []
    for (campaign, source), members in outcomes.groupby(["campaign_id", "campaign_source"], sort=True):
        groups = [(ALL_SEGMENTS, members), *members.groupby("segment_name", sort=True)]
        for segment, group in groups:
            rows.append({"campaign_id": campaign, "campaign_source": source, "segment_name": segment,
                         "logical_date": day, **_result_row(group)})  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    numeric = [c for c, kind in RESULT_COLUMNS.items() if kind == "double"]
    frame[numeric] = frame[numeric].astype(float).replace([np.inf, -np.inf], np.nan)
    return frame


def write_results(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, day: dt.date) -> int:
    """Replace the date's rows of `marts.campaign_results` (caller owns the transaction); returns rows."""
    ensure_table(con, RESULTS_TABLE, RESULT_COLUMNS)
    con.register("result_rows", results)
    con.execute("create or replace temp table result_stage as select * from result_rows")
    replace_rows(con, RESULTS_TABLE, "result_stage", {"logical_date": day})
    con.unregister("result_rows")
    return len(results)
