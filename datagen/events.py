"""Web clickstream (JSON lines) and email engagement (CSV), one day at a time."""

from __future__ import annotations

import numpy as np

from datagen import clock, mess, render, vocab
from datagen import profiles as pf
from datagen.context import Context
from datagen.persons import scramble64

DAY = clock.DAY
EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout")
EMAIL_EVENTS = ("sent", "open", "click", "bounce", "unsubscribe")
JSON_TEMPLATE = (
    '{"event_id":"%s","occurred_at":"%s","cookie_id":"%s","user_id":%s,'
    '"session_id":"%s","event_type":"%s","sku":%s}'
)
#: Rough lines per session: web events are chunked by sessions, chunk // this at a time.
SESSION_LINES = 4
#: Each subscriber gets a campaign every this many days (a rotating third of the list).
CAMPAIGN_EVERY = 3


def _quoted_or_null(values: list[str]) -> list[str]:
    return [f'"{v}"' if v else "null" for v in values]


class WebEventSource:
    """Writes `web_events`: sessions on 1-3 cookies per person, logged in for some."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.skus = vocab.build_catalog(ctx.rng("catalog"))[1]
        self.cookie_written = np.zeros(ctx.persons.n_cookies, dtype=bool)
        self.next_event, self.next_session = 1, 1

    def write_day(self, d: int) -> None:
        """Write day `d`'s clickstream, sessions in start-time order, chunk by chunk."""
        ctx, p = self.ctx, self.ctx.persons
        rng = ctx.rng("web_events", d)
        # A customer who has left (the dropout hazard) no longer visits the shop either.
        # Anonymous visitors never buy, so they have no dropout; the lapsing archetype keeps the
        # rare visits it was planted with after its planted stop.
        still_visits = (d < p.dropout_day) | p.visitor | (p.archetype == pf.LAPSING)
        active = (p.first_seen <= d) & still_visits
        counts = rng.poisson(pf.SESSION_RATE[p.archetype] * p.web_mult * active)
        person = np.repeat(np.arange(p.n), counts)
        start = (ctx.base_secs + d * DAY) * 1000 + rng.integers(0, (DAY - 3600) * 1000, len(person))
        order = np.argsort(start, kind="stable")
        person, start = person[order], start[order]
        drop = ctx.open_drop("web_events", d, ctx.rates.broken_json)
        for k, part in ctx.chunks(np.arange(len(person)), ctx.chunk // SESSION_LINES):
            self._write_sessions(ctx.rng("web_events", d, k + 1), drop, person[part], start[part])
        ctx.close_drop(drop, d)

    def _write_sessions(self, rng, drop, person: np.ndarray, start: np.ndarray) -> None:
        ctx, p = self.ctx, self.ctx.persons
        n, arch = len(person), p.archetype[person]
        cookie = p.cookie_start[person] + (rng.random(n) * p.cookie_count[person]).astype(np.int64)
        logged_in = ~p.anonymous_only[person] & (rng.random(n) < ctx.rates.logged_in_session)
        user = [
            f"C{c:07d}" if li else ""
            for c, li in zip(p.crm_id[person].tolist(), logged_in.tolist(), strict=True)
        ]
        session = [
            f"sess_{v:016x}"
            for v in scramble64(np.arange(self.next_session, self.next_session + n), 77).tolist()
        ]
        self.next_session += n
        per_session = 1 + rng.poisson(pf.EXTRA_EVENTS[arch])
        owner = np.repeat(np.arange(n), per_session)
        first_in_session = np.zeros(len(owner), bool)
        first_in_session[np.cumsum(per_session) - per_session] = True
        la = arch[owner]
        kind = np.minimum((rng.random(len(owner))[:, None] > pf.EVENT_CUM[la]).sum(axis=1), 3)
        kind[first_in_session] = 0
        gaps = rng.exponential(40_000.0, len(owner)).astype(np.int64)
        gaps[first_in_session] = 0
        csum = np.cumsum(gaps)
        at = start[owner] + csum - csum[first_in_session][owner]
        at = np.minimum(at, (start[owner] // (DAY * 1000) + 1) * DAY * 1000 - 1)
        cat = np.minimum((rng.random(len(owner))[:, None] > pf.CATEGORY_CUM[la]).sum(axis=1), 5)
        sku_i = np.minimum(
            (rng.random(len(owner)) ** pf.SKU_SKEW[la] * vocab.SKUS_PER_CATEGORY).astype(int),
            vocab.SKUS_PER_CATEGORY - 1,
        )
        sku = [
            "" if k == 0 else self.skus[c][s]
            for k, c, s in zip(kind.tolist(), cat.tolist(), sku_i.tolist(), strict=True)
        ]
        order = np.argsort(at, kind="stable")
        owner, at, kind = owner[order], at[order], kind[order]
        sku = _quoted_or_null([sku[i] for i in order.tolist()])
        ids = render.fmt_ids("WE", 10, np.arange(self.next_event, self.next_event + len(owner)))
        self.next_event += len(owner)
        cookies = render.cookie_ids(cookie, ctx.seed)
        user_q = _quoted_or_null(user)
        times = clock.iso_millis_z(at)
        own = owner.tolist()
        lines = [
            JSON_TEMPLATE % (ids[i], times[i], cookies[o], user_q[o], session[o], EVENT_TYPES[t], sku[i])
            for i, (o, t) in enumerate(zip(own, kind.tolist(), strict=True))
        ]
        drop.write_json_lines(lines, ids, [cookies[o] for o in own])
        fresh, first = np.unique(cookie, return_index=True)
        new = ~self.cookie_written[fresh]
        self.cookie_written[fresh[new]] = True
        self.ctx.identities.write(
            "web_events", [cookies[i] for i in first[new].tolist()], render.person_ids(person[first[new]])
        )


class EmailSource:
    """Writes `email_engagement`: a daily campaign to a rotating third of the subscribers."""

    def __init__(self, ctx: Context) -> None:
        p, self.ctx = ctx.persons, ctx
        n_subs = p.n_subscribers
        self.person = np.full(n_subs + 1, -1, dtype=np.int64)
        self.is_second = np.zeros(n_subs + 1, dtype=bool)
        prim, sec = np.flatnonzero(p.sub_primary), np.flatnonzero(p.sub_second)
        self.person[p.sub_primary[prim]] = prim
        self.person[p.sub_second[sec]] = sec
        self.is_second[p.sub_second[sec]] = True
        self.active = self.person >= 0
        self.style = mess.email_styles(ctx.rng("email_engagement"), n_subs + 1, ctx.rates.email_messy)
        self.written = np.zeros(n_subs + 1, dtype=bool)
        self.next_event = 1

    def write_day(self, d: int) -> None:
        """Write day `d`'s sends, opens, clicks, bounces and unsubscribes."""
        ctx = self.ctx
        subs = np.flatnonzero(
            self.active & (np.arange(len(self.active)) % CAMPAIGN_EVERY == d % CAMPAIGN_EVERY)
        )
        subs = subs[ctx.persons.first_seen[self.person[subs]] <= d]
        drop = ctx.open_drop("email_engagement", d)
        for k, part in ctx.chunks(subs):
            self._write_chunk(ctx.rng("email_engagement", d, k + 1), drop, part, d)
        ctx.close_drop(drop, d)

    def _write_chunk(self, rng, drop, subs: np.ndarray, d: int) -> None:
        ctx, p = self.ctx, self.ctx.persons
        n, person = len(subs), self.person[subs]
        arch = p.archetype[person]
        day_end = ctx.base_secs + (d + 1) * DAY - 1
        sent = ctx.base_secs + d * DAY + 7 * 3600 + rng.integers(0, 2 * 3600, n)
        bounce = rng.random(n) < np.where(self.is_second[subs], pf.SECOND_EMAIL_BOUNCE_RATE, pf.BOUNCE_RATE)
        opened = ~bounce & (rng.random(n) < pf.OPEN_RATE[arch])
        open_at = np.minimum(sent + rng.exponential(7200.0, n).astype(np.int64), day_end - 600)
        clicked = opened & (rng.random(n) < pf.CLICK_RATE[arch])
        click_at = np.minimum(open_at + rng.exponential(180.0, n).astype(np.int64) + 1, day_end - 300)
        unsub = ~bounce & (rng.random(n) < pf.UNSUBSCRIBE_RATE[arch])
        self.active[subs[unsub]] = False
        parts = [
            (np.ones(n, bool), sent, 0),
            (bounce, sent + 30, 3),
            (opened, open_at, 1),
            (clicked, click_at, 2),
            (unsub, np.where(opened, click_at, sent) + 120, 4),
        ]
        row_sub = np.concatenate([np.flatnonzero(m) for m, _, _ in parts])
        row_at = np.concatenate([t[m] for m, t, _ in parts])
        row_kind = np.concatenate([np.full(int(m.sum()), k) for m, _, k in parts])
        order = np.argsort(row_at, kind="stable")
        row_sub, row_at, row_kind = row_sub[order], row_at[order], row_kind[order]
        sub_ids = render.subscriber_ids(subs)
        clean = [
            s if sec else f
            for f, s, sec in zip(
                render.emails(p, person),
                render.second_emails(p, person),
                self.is_second[subs].tolist(),
                strict=True,
            )
        ]
        styles = self.style[subs]
        address = [mess.messy_email(e, s) for e, s in zip(clean, styles.tolist(), strict=True)]
        rs = row_sub.tolist()
        ctx.tally.add("email_messy:email_engagement", int((styles[row_sub] > 0).sum()))
        ids = render.fmt_ids("EE", 10, np.arange(self.next_event, self.next_event + len(rs)))
        self.next_event += len(rs)
        campaign = "CMP" + ctx.day_label(d).replace("-", "")
        drop.write_rows(
            [
                ids,
                [sub_ids[i] for i in rs],
                [address[i] for i in rs],
                [campaign] * len(rs),
                [EMAIL_EVENTS[k] for k in row_kind.tolist()],
                clock.iso_naive(row_at),
            ]
        )
        fresh = ~self.written[subs]
        self.written[subs[fresh]] = True
        ctx.identities.write(
            "email_engagement",
            [sub_ids[i] for i in np.flatnonzero(fresh).tolist()],
            render.person_ids(person[fresh]),
        )
