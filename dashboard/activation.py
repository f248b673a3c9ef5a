"""Audiences and campaign lift: members and held-out customers per audience, lift with its interval.

`marts.audience_members` holds the current members of every active audience (the holdout
flagged); `marts.campaign_results` holds, per campaign and measurement date, treatment against
holdout conversion with a 95 % interval (the `All` row is the campaign as a whole).
"""

from __future__ import annotations

from typing import Any

import duckdb

from dashboard import charts
from dashboard.model import Chart, Section, Table, amount, count, missing, not_built, text
from dashboard.reader import Catalog, records

MEMBERS = "marts.audience_members"
RESULTS = "marts.campaign_results"
ALL_SEGMENTS = "All"
TITLE = "Audiences and campaigns"
LIFT_COLUMNS = ("conversion_lift_abs", "conversion_lift_abs_low", "conversion_lift_abs_high")


def collect(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, Any]:
    """Members per audience and the latest overall lift per campaign."""
    data: dict[str, Any] = {"audiences": None, "campaigns": None}
    if catalog.has(MEMBERS, "audience_name", "is_holdout"):
        channel = "any_value(channel)" if catalog.has(MEMBERS, "channel") else "null"
        data["audiences"] = records(
            con,
            f"select audience_name, {channel} as channel, count(*) as members, "
            "count(*) filter (where is_holdout) as held_out "
            f"from {MEMBERS} group by 1 order by members desc, 1",
        )
    if catalog.has(
        RESULTS, "campaign_id", "segment_name", "logical_date", "treatment_members", *LIFT_COLUMNS
    ):
        data["campaigns"] = records(
            con,
            "select campaign_id, cast(logical_date as varchar) as logical_date, treatment_members, "
            "holdout_members, conversion_lift_abs, conversion_lift_abs_low, conversion_lift_abs_high "
            f"from {RESULTS} r where segment_name = ? "
            f"and logical_date = (select max(x.logical_date) from {RESULTS} x where x.campaign_id = r.campaign_id) "
            "order by campaign_id",
            [ALL_SEGMENTS],
        )
    return data


def _audiences_part(section: Section, audiences: list[dict[str, Any]]) -> None:
    if not audiences:
        section.notes.append(f"Audiences: {MEMBERS} exists but no audience has members today.")
        return
    names = [a["audience_name"] for a in audiences]
    held = [int(a["held_out"]) for a in audiences]
    treated = [int(a["members"]) - h for a, h in zip(audiences, held, strict=True)]
    section.charts.append(
        Chart(
            "Audience members",
            charts.stacked_hbar(names, {"treatment": treated, "held out": held}, "customers"),
            "Current members of each audience; held-out members are not sent to any destination.",
        )
    )
    section.tables.append(
        Table(
            "Audiences",
            ("audience", "channel", "members", "held out"),
            tuple(
                (text(a["audience_name"]), text(a["channel"]),
                 count(a["members"], f"audience-members:{a['audience_name']}"),
                 count(a["held_out"], f"audience-held-out:{a['audience_name']}"))
                for a in audiences
            ),
        )
    )  # fmt: skip


def _campaigns_part(section: Section, campaigns: list[dict[str, Any]]) -> None:
    measured = [c for c in campaigns if not missing(c["conversion_lift_abs"])]
    if measured:
        section.charts.append(
            Chart(
                "Campaign lift",
                charts.error_bars(
                    [c["campaign_id"] for c in measured],
                    [_points(c["conversion_lift_abs"]) for c in measured],
                    [_points(c["conversion_lift_abs_low"], c["conversion_lift_abs"]) for c in measured],
                    [_points(c["conversion_lift_abs_high"], c["conversion_lift_abs"]) for c in measured],
                    "conversion lift, percentage points (95 % interval)",
                ),
                "Treatment minus holdout conversion on each campaign's latest measurement; an interval "
                "crossing zero is no evidence of lift.",
            )
        )
    section.tables.append(
        Table(
            "Campaigns",
            ("campaign", "measured on", "treatment", "holdout", "lift (points)", "low", "high"),
            tuple(
                (text(c["campaign_id"]), text(c["logical_date"]), count(c["treatment_members"]),
                 count(c["holdout_members"]),
                 amount(_points(c["conversion_lift_abs"]), f"campaign-lift:{c['campaign_id']}", 1),
                 amount(_points(c["conversion_lift_abs_low"]), digits=1),
                 amount(_points(c["conversion_lift_abs_high"]), digits=1))
                for c in campaigns
            ),
        )
    )  # fmt: skip


def _points(value: float | None, fallback: float | None = None) -> float | None:
    """A rate difference in percentage points (`fallback` when the value is missing)."""
    if missing(value):
        return None if missing(fallback) else 100 * fallback
    return 100 * value


def build(data: dict[str, Any]) -> Section:
    """The audiences and campaigns section."""
    if data["audiences"] is None and data["campaigns"] is None:
        return not_built("activation", TITLE, f"{MEMBERS} (and {RESULTS})")
    section = Section("activation", TITLE)
    if data["audiences"] is not None:
        _audiences_part(section, data["audiences"])
    else:
        section.notes.append(f"Audiences: not built yet ({MEMBERS} does not exist).")
    if data["campaigns"]:
        _campaigns_part(section, data["campaigns"])
    else:
        section.notes.append(f"Campaign lift: not measured yet ({RESULTS} has no results).")
    return section
