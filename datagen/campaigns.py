"""Email campaigns with holdout groups (`campaign_log`) and the uplift they plant in the orders.

The business ran CAMPAIGNS from its email tool. A campaign's audience is drawn among the CRM
customers with marketing consent whose contact exists at its start (the tool's subscribers),
with the campaign's reach for their archetype: a win-back aims at customers who look at risk,
a seasonal mailing at everyone alike. Each member is assigned at random to `treatment` (sent
the email) or `holdout` (HOLDOUT_SHARE, not contacted). The tool exports the audience on the
start date, `campaign_log/<YYYY-MM-DD>/campaign_log.csv`, one line per member: campaign id,
name and channel, the tool's subscriber id, the CRM customer id, the email as the CRM holds
it, group, assigned_at (UTC). The mess of such exports: emails in mixed case or padded, a few
members without their CRM id (MISSING_CUSTOMER_ID), a few lines written twice (DUPLICATE_LINE).
The first day always has a drop (header only when no campaign starts), so the source exists
from the first night on.

Planted uplift: a treated member places one extra completed order with probability
`profiles.CAMPAIGN_UPLIFT[archetype]`, on one of the days 1..ATTRIBUTION_DAYS-1 after the
assignment that the generated window holds (so always within ATTRIBUTION_DAYS of assigned_at).
It is behaviour the campaign caused, so it happens whatever the member would have done anyway,
a lapsing or dropped-out customer included (persons.csv `dropout_date` describes baseline
behaviour). The order goes through the order writers (datagen/orders.py), by the person's
usual channel, into that day's web_orders or pos_orders drop; it is completed, carries no
planted messiness, and is numbered from its own block (ORDER_NUMBER_BASE + 1, ...), so every
baseline order keeps its id and its bytes. Holdout members get nothing. Every draw comes from
the `campaigns` stream: generating without `campaign_log` writes what it always wrote.

The truth files (`_truth/campaigns.csv`, `_truth/campaign_members.csv`) are written by
datagen/campaign_truth.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datagen import clock, mess, render
from datagen import profiles as pf
from datagen.context import Context

SOURCE = "campaign_log"
CHANNEL = "email"
GROUPS = ("treatment", "holdout")
ATTRIBUTION_DAYS = 14
HOLDOUT_SHARE = 0.2
#: The tool assigns an audience from 06:00 UTC on the start date, within half an hour.
ASSIGN_HOUR, ASSIGN_SECONDS = 6, 1800
MISSING_CUSTOMER_ID = 0.05
DUPLICATE_LINE = 0.01
#: Planted orders are numbered from here (W90000001, P90000001), apart from baseline orders.
ORDER_NUMBER_BASE = 90_000_000


@dataclass(frozen=True)
class Campaign:
    """A campaign: letter of its id, name, preferred start (day offset), reach per archetype."""

    letter: str
    name: str
    start_offset: int
    reach: tuple[float, ...]  # share of the eligible persons of each profiles.ARCHETYPES entry


CAMPAIGNS: tuple[Campaign, ...] = (
    # Customers who look at risk in the CRM: mostly lapsing, some hunters and browsers.
    Campaign("A", "Win-back: we miss you", 0, (0.02, 0.25, 0.85, 0.0, 0.35, 0.20, 0.10)),
    # A seasonal mailing to an even share of the list.
    Campaign("B", "Summer favourites", 9, (0.40,) * len(pf.ARCHETYPES)),
)


@dataclass
class CampaignPlan:
    """Every member of every campaign (arrays indexed by member) and what was planted for them."""

    ids: list[str]
    starts: list[int]  # start day offset per campaign
    campaign: np.ndarray  # CAMPAIGNS index per member
    person: np.ndarray
    holdout: np.ndarray
    assigned: np.ndarray  # epoch seconds
    order_day: np.ndarray  # day offset of the planted order, -1 for none
    lookup: np.ndarray  # [campaign, person] -> member index, -1 for none
    baseline: np.ndarray = field(init=False)  # a completed baseline order in the window
    order_source: list[str] = field(init=False)
    order_id: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.baseline = np.zeros(len(self.person), dtype=bool)
        self.order_source = [""] * len(self.person)
        self.order_id = [""] * len(self.person)

    def orders_on(self, d: int) -> np.ndarray:
        """Members whose planted order falls on day offset `d`."""
        return np.flatnonzero(self.order_day == d)

    def record_orders(self, members: np.ndarray, source: str, order_ids: list[str]) -> None:
        """Remember which order was written for each of these members."""
        for m, order_id in zip(members.tolist(), order_ids, strict=True):
            self.order_source[m], self.order_id[m] = source, order_id

    def observe_baseline(self, person: np.ndarray, secs: np.ndarray, completed: np.ndarray) -> None:
        """Note members with a completed baseline order in (assigned_at, assigned_at + window]."""
        person, secs = person[completed], secs[completed]
        for c in range(len(self.ids)):
            member = self.lookup[c][person]
            hit = member >= 0
            member, at = member[hit], secs[hit]
            start = self.assigned[member]
            self.baseline[member[(at > start) & (at <= start + ATTRIBUTION_DAYS * clock.DAY)]] = True


def plan_campaigns(ctx: Context) -> CampaignPlan:
    """Draw each campaign's audience, groups, assignment times and planted orders.

    A campaign starts on its preferred day, or on the last day but one of a shorter window, so
    a planted order always has a day to land on; a one-day window holds no campaign.
    """
    p = ctx.persons
    parts, ids, starts = [], [], []
    for c, spec in enumerate(CAMPAIGNS if ctx.days >= 2 else ()):
        rng = ctx.rng("campaigns", 0, c)
        start = min(spec.start_offset, ctx.days - 2)
        at = ctx.base_secs + start * clock.DAY + ASSIGN_HOUR * 3600
        eligible = p.is_crm & p.consent & ~p.visitor & (p.sub_primary > 0) & (p.crm_created < at)
        # One draw per customer (visitors come after them): a world's visitors change nothing here.
        draw = np.concatenate([rng.random(p.n_customers), np.ones(p.n - p.n_customers)])
        person = np.flatnonzero(eligible & (draw < np.asarray(spec.reach)[p.archetype]))
        n = len(person)
        holdout = rng.random(n) < HOLDOUT_SHARE
        assigned = at + rng.integers(0, ASSIGN_SECONDS, n)
        converts = ~holdout & (rng.random(n) < pf.CAMPAIGN_UPLIFT[p.archetype[person]])
        span = min(ATTRIBUTION_DAYS - 1, ctx.days - 1 - start)
        day = np.where(converts, start + 1 + (rng.random(n) * span).astype(np.int64), -1)
        order = np.lexsort((person, assigned))  # the tool lists members in assignment order
        parts.append([np.full(n, c), person[order], holdout[order], assigned[order], day[order]])
        ids.append(f"CMP-{ctx.day_label(start)[:7]}-{spec.letter}")
        starts.append(start)
    empty = [np.zeros(0, dtype=np.int64)] * 2 + [np.zeros(0, dtype=bool)] + [np.zeros(0, dtype=np.int64)] * 2
    campaign, person, holdout, assigned, day = (
        [np.concatenate(column) for column in zip(*parts, strict=True)] if parts else empty
    )
    lookup = np.full((len(ids), p.n), -1, dtype=np.int64)
    lookup[campaign, person] = np.arange(len(person))
    return CampaignPlan(ids, starts, campaign, person, holdout, assigned, day, lookup)


class CampaignLogSource:
    """Writes `campaign_log`: each campaign's audience on its start date (and day 0 always)."""

    def __init__(self, ctx: Context, plan: CampaignPlan) -> None:
        self.ctx, self.plan = ctx, plan
        self.written = np.zeros(ctx.persons.n, dtype=bool)  # persons whose subscriber is in the truth

    def write_day(self, d: int) -> None:
        """Write the audiences of the campaigns starting on day `d`."""
        starting = [c for c, start in enumerate(self.plan.starts) if start == d]
        if d and not starting:
            return
        drop = self.ctx.open_drop(SOURCE, d, rate=0.0)  # a tool's export: no broken lines
        members = np.flatnonzero(np.isin(self.plan.campaign, starting))
        for k, part in self.ctx.chunks(members):
            self._write_chunk(drop, part, self.ctx.rng("campaigns", 2, d, k))
        self.ctx.close_drop(drop, d)

    def _write_chunk(self, drop, members: np.ndarray, rng: np.random.Generator) -> None:
        ctx, p, plan = self.ctx, self.ctx.persons, self.plan
        person, n = plan.person[members], len(members)
        email = mess.apply_email_mess(
            render.emails(p, person), rng, ctx.rates.email_messy, ctx.tally, f"email_messy:{SOURCE}"
        )
        no_id = rng.random(n) < MISSING_CUSTOMER_ID
        ctx.tally.add(f"missing_customer_id:{SOURCE}", int(no_id.sum()))
        customer = render.customer_ids(p.crm_id[person])
        campaign = plan.campaign[members].tolist()
        columns = [
            [plan.ids[c] for c in campaign],
            [CAMPAIGNS[c].name for c in campaign],
            [CHANNEL] * n,
            render.subscriber_ids(p.sub_primary[person]),
            ["" if gone else c for c, gone in zip(customer, no_id.tolist(), strict=True)],
            email,
            [GROUPS[h] for h in plan.holdout[members].astype(int).tolist()],
            clock.iso_naive(plan.assigned[members]),
        ]
        dup = np.flatnonzero(rng.random(n) < DUPLICATE_LINE)
        planted = []
        if len(dup):  # the repeated line follows its original
            order = np.sort(np.concatenate([np.arange(n), dup]), kind="stable")
            columns = [[col[i] for i in order.tolist()] for col in columns]
            planted = [(int(pos), "exact_duplicate") for pos in np.flatnonzero(np.diff(order) == 0) + 1]
        drop.write_rows(columns, planted)
        fresh = np.unique(person[~self.written[person]])
        self.written[fresh] = True
        ctx.identities.write(SOURCE, render.subscriber_ids(p.sub_primary[fresh]), render.person_ids(fresh))
