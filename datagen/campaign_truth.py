"""Ground truth of the planted campaigns (datagen/campaigns.py), for measuring campaign lift.

`_truth/campaign_members.csv`, one row per member of a campaign (MEMBER_COLUMNS): its group,
assigned_at, `converted_by_campaign` (1: a planted order was added), `baseline_converted` (1:
a completed order of the member's baseline behaviour, a web order neither cancelled nor
returned or a till sale, falls in (assigned_at, assigned_at + 14 days], as written before
planted messiness), and the planted order's source and id (empty when none, or when its
source was not generated).

`_truth/campaigns.csv`, per campaign one row per archetype among its members and one `all`
row (CAMPAIGN_COLUMNS). `planted_uplift` is the planted probability of an extra completed
order per treated member (profiles.CAMPAIGN_UPLIFT), so the expected lift of completed orders
per member, treatment minus holdout; for `all` it is the treatment-weighted mean of the
archetypes'. A member who would have bought anyway already counts as converted, so the share
of members with at least one completed order rises by less: `expected_conversion_lift` =
planted_uplift x (1 - baseline_conversion_rate), the baseline rate being the share of the
archetype's members (both groups) with a baseline completed order in the window
(treatment-weighted mean for `all`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from datagen import clock, render
from datagen import profiles as pf
from datagen.campaigns import ATTRIBUTION_DAYS, CAMPAIGNS, GROUPS, HOLDOUT_SHARE, CampaignPlan
from datagen.context import Context

MEMBER_COLUMNS = (
    "campaign_id",
    "person_id",
    "group",
    "assigned_at",
    "converted_by_campaign",
    "baseline_converted",
    "order_source",
    "order_id",
)
CAMPAIGN_COLUMNS = (
    "campaign_id",
    "campaign_name",
    "start_date",
    "archetype",
    "members_treatment",
    "members_holdout",
    "planted_uplift",
    "attribution_days",
    "planted_orders",
    "baseline_conversion_rate",
    "expected_conversion_lift",
)


def _share(flags: np.ndarray) -> float:
    return float(flags.mean()) if len(flags) else 0.0


def campaign_rows(plan: CampaignPlan, archetype: np.ndarray, start_day: int) -> list[list]:
    """`campaigns.csv` rows: per campaign, one per archetype among its members, then `all`.

    archetype: profiles.ARCHETYPES index per person; start_day: the start date's epoch day.
    """
    rows = []
    member_archetype = archetype[plan.person]
    for c, campaign_id in enumerate(plan.ids):
        ours = plan.campaign == c
        head = [campaign_id, CAMPAIGNS[c].name, clock.iso_dates(np.array([start_day + plan.starts[c]]))[0]]
        treated, held, uplifts, planted, lifts = [], [], [], [], []
        for a in np.unique(member_archetype[ours]).tolist():
            mine = ours & (member_archetype == a)
            treated.append(int((mine & ~plan.holdout).sum()))
            held.append(int((mine & plan.holdout).sum()))
            uplifts.append(float(pf.CAMPAIGN_UPLIFT[a]))
            planted.append(int((mine & (plan.order_day >= 0)).sum()))
            baseline = _share(plan.baseline[mine])
            lifts.append(uplifts[-1] * (1 - baseline))
            rows.append([*head, pf.ARCHETYPES[a], treated[-1], held[-1], uplifts[-1], ATTRIBUTION_DAYS])
            rows[-1] += [planted[-1], round(baseline, 6), round(lifts[-1], 6)]
        weight = max(sum(treated), 1)
        mean_uplift = float(np.dot(uplifts, treated)) / weight if treated else 0.0
        mean_lift = float(np.dot(lifts, treated)) / weight if treated else 0.0
        rows.append([*head, "all", sum(treated), sum(held), round(mean_uplift, 6), ATTRIBUTION_DAYS])
        rows[-1] += [sum(planted), round(_share(plan.baseline[ours]), 6), round(mean_lift, 6)]
    return rows


def write_campaign_truth(ctx: Context, plan: CampaignPlan, truth_dir: Path) -> dict:
    """Write `campaign_members.csv` and `campaigns.csv`; return the summary for planted.json."""
    with (truth_dir / "campaign_members.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(MEMBER_COLUMNS)
        for _, members in ctx.chunks(np.arange(len(plan.person))):
            listed = members.tolist()
            columns = [
                [plan.ids[c] for c in plan.campaign[members].tolist()],
                render.person_ids(plan.person[members]),
                [GROUPS[h] for h in plan.holdout[members].astype(int).tolist()],
                clock.iso_naive(plan.assigned[members]),
                (plan.order_day[members] >= 0).astype(int).tolist(),
                plan.baseline[members].astype(int).tolist(),
                [plan.order_source[m] for m in listed],
                [plan.order_id[m] for m in listed],
            ]
            writer.writerows(zip(*columns, strict=True))
    with (truth_dir / "campaigns.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CAMPAIGN_COLUMNS)
        writer.writerows(campaign_rows(plan, ctx.persons.archetype, ctx.start_day))
    return {
        "attribution_days": ATTRIBUTION_DAYS,
        "holdout_share": HOLDOUT_SHARE,
        "uplift": {a: float(u) for a, u in zip(pf.ARCHETYPES, pf.CAMPAIGN_UPLIFT, strict=True)},
        "members": {campaign_id: int((plan.campaign == c).sum()) for c, campaign_id in enumerate(plan.ids)},
        "planted_orders": int((plan.order_day >= 0).sum()),
        "files": ["_truth/campaigns.csv", "_truth/campaign_members.csv"],
    }
