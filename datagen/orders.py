"""Web-shop orders and point-of-sale transactions, one line per item.

The first daily drop carries a backlog of `profiles.HISTORY_DAYS` days of orders; it is
generated in time slices sized so one slice holds a bounded number of lines.
"""

from __future__ import annotations

import numpy as np

from datagen import clock, mess, render, vocab
from datagen import profiles as pf
from datagen.campaigns import ORDER_NUMBER_BASE, CampaignPlan
from datagen.context import Context
from datagen.persons import Persons
from datagen.profiles import MessRates

DAY = clock.DAY
LINES_PER_SLICE_FACTOR = 2  # a slice holds about chunk * this many lines


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-order line counts, return (order index per line, line number 1.. per line)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner] + 1


# The draws that decide what an order is worth, shared with the simulated future
# (datagen/future.py) so its spend has the landing orders' distribution. Each helper makes
# its draws in the order the writers always made them: the demo's bytes do not move.


def places_online(rng, p: Persons, person: np.ndarray) -> np.ndarray:
    """Which orders of `person` go through the web shop (CRM persons only; the French always)."""
    return p.is_crm[person] & ((p.country[person] == 1) | (rng.random(len(person)) < p.web_share[person]))


def web_status(u: np.ndarray, arch: np.ndarray, rates: MessRates) -> tuple[np.ndarray, np.ndarray]:
    """(cancelled, returned) web orders from one uniform draw per order."""
    cancel = u < rates.web_cancel * pf.RETURN_FACTOR[arch]
    returned = ~cancel & (u < (rates.web_cancel + rates.web_return) * pf.RETURN_FACTOR[arch])
    return cancel, returned


def web_currency(rng, country: np.ndarray, rates: MessRates) -> np.ndarray:
    """vocab.CURRENCIES index of web orders: the French pay EUR, a few GB orders USD/EUR."""
    n = len(country)
    foreign = rng.random(n) < rates.foreign_currency
    return np.where(country == 1, 1, np.where(foreign, np.where(rng.random(n) < 2 / 3, 2, 1), 0))


def pos_returns(rng, arch: np.ndarray, rates: MessRates) -> np.ndarray:
    """Which POS transactions are returns (negative quantities)."""
    return rng.random(len(arch)) < rates.pos_return * pf.RETURN_FACTOR[arch]


def pos_currency(rng, n: int, rates: MessRates) -> np.ndarray:
    """vocab.CURRENCIES index of POS transactions: GBP, now and then EUR."""
    return np.where(rng.random(n) < rates.foreign_currency * 0.3, 1, 0)


def draw_lines(rng, prices: np.ndarray, arch: np.ndarray, currency: np.ndarray, negative: np.ndarray):
    """Lines of orders by archetype: (owner, line_no, category, sku, quantity, unit price in `currency`)."""
    owner, line_no = _expand(1 + rng.poisson(pf.EXTRA_LINES[arch]))
    la = arch[owner]
    cat = np.minimum((rng.random(len(owner))[:, None] > pf.CATEGORY_CUM[la]).sum(axis=1), 5)
    sku = np.minimum(
        (rng.random(len(owner)) ** pf.SKU_SKEW[la] * vocab.SKUS_PER_CATEGORY).astype(int),
        vocab.SKUS_PER_CATEGORY - 1,
    )
    fx = np.array([vocab.FX_FROM_GBP[c] for c in vocab.CURRENCIES])[currency[owner]]
    price = np.round(prices[cat, sku] * fx, 2)
    qty = (1 + rng.poisson(pf.EXTRA_QUANTITY[la])) * np.where(negative[owner], -1, 1)
    return owner, line_no, cat, sku, qty, price


def _in_input_order(ids: list[str], order: np.ndarray) -> list[str]:
    """Ids assigned in sorted order (`order` sorted the input), back in the input's order."""
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return [ids[k] for k in position.tolist()]


def _write(drop, columns: list[list[str]], planted: list, unspoiled: bool) -> None:
    """Append rows; unspoiled: plant no malformed line among them (later rows keep the drop's rate)."""
    rate = drop.rate
    drop.rate = 0.0 if unspoiled else rate
    try:
        drop.write_rows(columns, planted)
    finally:
        drop.rate = rate


class OrderSources:
    """Writes `web_orders` and `pos_orders` (one random stream, so channels stay consistent).

    campaigns: the planted campaigns (datagen/campaigns.py), whose extra orders are written
        after each day's own orders and which are told of every completed baseline order.
    """

    def __init__(
        self,
        ctx: Context,
        write_web: bool = True,
        write_pos: bool = True,
        campaigns: CampaignPlan | None = None,
    ) -> None:
        self.ctx, self.write_web, self.write_pos, self.campaigns = ctx, write_web, write_pos, campaigns
        self.prices, self.skus = vocab.build_catalog(ctx.rng("catalog"))
        self.next_order, self.next_txn = 1, 1
        # Campaign orders have their own numbers, so every baseline order keeps its id.
        self.next_campaign_order = self.next_campaign_txn = ORDER_NUMBER_BASE + 1
        p = ctx.persons
        lines_per_day = 2.0 * float((pf.ORDER_RATE[p.archetype] * p.order_mult).sum()) + 1.0
        self.slice_days = int(
            np.clip(ctx.chunk * LINES_PER_SLICE_FACTOR // lines_per_day, 1, pf.HISTORY_DAYS + 1)
        )

    def write_day(self, d: int) -> None:
        """Write day `d`'s web and POS files; day 0 also holds the history backlog."""
        ctx = self.ctx
        web = ctx.open_drop("web_orders", d) if self.write_web else None
        pos = ctx.open_drop("pos_orders", d) if self.write_pos else None
        if d == 0:
            edges = list(range(-pf.HISTORY_DAYS, 1, self.slice_days)) + [1]
            windows = list(zip(edges[:-1], edges[1:], strict=True))
        else:
            windows = [(d, d + 1)]
        for s, (w0, w1) in enumerate(windows):
            self._write_slice(ctx.rng("orders", d, s), w0, w1, web, pos)
        if self.campaigns is not None:
            self._write_campaign_orders(ctx.rng("campaigns", 1, d), d, web, pos)
        for drop in (web, pos):
            if drop is not None:
                ctx.close_drop(drop, d)

    def _draw_orders(self, rng: np.random.Generator, w0: int, w1: int) -> tuple[np.ndarray, np.ndarray]:
        """Person index and day offset of every order placed in days [w0, w1)."""
        p = self.ctx.persons
        lo = np.maximum(p.order_from, w0)
        span = np.clip(np.minimum(p.order_to, w1) - lo, 0, None)
        counts = rng.poisson(pf.ORDER_RATE[p.archetype] * p.order_mult * span)
        person = np.repeat(np.arange(p.n), counts)
        day = lo[person] + (rng.random(len(person)) * span[person]).astype(np.int64)
        # Most new customers place their first order on the day they are first seen.
        first = np.flatnonzero(
            (p.archetype == pf.NEW_CUSTOMER) & ~p.visitor & (p.first_seen >= w0) & (p.first_seen < w1)
        )
        first = first[rng.random(len(first)) < 0.9]
        return np.concatenate([person, first]), np.concatenate([day, p.first_seen[first]])

    def _write_slice(self, rng, w0: int, w1: int, web, pos) -> None:
        p = self.ctx.persons
        person, day = self._draw_orders(rng, w0, w1)
        online = places_online(rng, p, person)
        web_rng, pos_rng = rng.spawn(2)
        if web is not None:
            self._write_web(web_rng, web, person[online], day[online])
        if pos is not None:
            self._write_pos(pos_rng, pos, person[~online], day[~online])

    def _write_campaign_orders(self, rng, d: int, web, pos) -> None:
        """Write the orders the campaigns planted on day `d`, by each person's usual channel."""
        plan, p = self.campaigns, self.ctx.persons
        members = plan.orders_on(d)
        person = plan.person[members]
        online = places_online(rng, p, person)
        web_rng, pos_rng = rng.spawn(2)
        day = np.full(len(person), d)
        for source, drop, write, rng_, on in (
            ("web_orders", web, self._write_web, web_rng, online),
            ("pos_orders", pos, self._write_pos, pos_rng, ~online),
        ):
            if drop is not None and on.any():
                plan.record_orders(members[on], source, write(rng_, drop, person[on], day[on], campaign=True))
                self.ctx.tally.add(f"campaign_orders:{source}", int(on.sum()))

    def _lines(self, rng, arch: np.ndarray, currency: np.ndarray, negative: np.ndarray, clean: bool = False):
        """Draw lines for orders; return (owner, line_no, category, sku, quantity, price columns).

        clean: plant no non-positive price (the draws are made all the same).
        """
        owner, line_no, cat, sku, qty, price = draw_lines(rng, self.prices, arch, currency, negative)
        bad = (rng.random(len(owner)) < self.ctx.rates.non_positive_price) & (not clean)
        price_text = [f"{v:.2f}" for v in price.tolist()]
        for i in np.flatnonzero(bad).tolist():
            price_text[i] = "0.00" if i % 2 else f"-{price[i]:.2f}"
        planted = [(int(i), "non_positive_price") for i in np.flatnonzero(bad)]
        cat_names, skus = vocab.CATEGORIES, self.skus
        columns = dict(
            line_number=[str(x) for x in line_no.tolist()],
            sku=[skus[c][s] for c, s in zip(cat.tolist(), sku.tolist(), strict=True)],
            category=[cat_names[c] for c in cat.tolist()],
            quantity=[str(q) for q in qty.tolist()],
            unit_price=price_text,
            currency=[vocab.CURRENCIES[c] for c in currency[owner].tolist()],
        )
        return owner, columns, planted

    def _write_web(self, rng, drop, person: np.ndarray, day: np.ndarray, campaign: bool = False) -> list[str]:
        """Write web orders; return their ids in the order of `person`.

        campaign: orders a campaign planted: numbered apart, completed, no planted messiness.
        """
        ctx, p, rates, tally = self.ctx, self.ctx.persons, self.ctx.rates, self.ctx.tally
        secs = ctx.base_secs + day * DAY + rng.integers(0, DAY, len(person))
        order = np.argsort(secs, kind="stable")
        person, secs = person[order], secs[order]
        n, arch = len(person), p.archetype[person]
        first = self.next_campaign_order if campaign else self.next_order
        ids = render.fmt_ids("W", 8, np.arange(first, first + n))
        if campaign:
            self.next_campaign_order += n
        else:
            self.next_order += n
        use_second = (
            (p.second_crm_id[person] > 0) & (secs > p.second_crm_created[person]) & (rng.random(n) < 0.3)
        )
        customer = render.customer_ids(np.where(use_second, p.second_crm_id[person], p.crm_id[person]))
        cancel, returned = web_status(rng.random(n), arch, rates)
        cancel, returned = cancel & (not campaign), returned & (not campaign)
        tally.add("web_orders_cancelled", int(cancel.sum()))
        tally.add("web_orders_returned", int(returned.sum()))
        status = np.where(cancel, 1, np.where(returned, 2, 0))
        if self.campaigns is not None and not campaign:
            self.campaigns.observe_baseline(person, secs, status == 0)
        currency = web_currency(rng, p.country[person], rates)
        owner, cols, planted = self._lines(rng, arch, currency, np.zeros(n, bool), clean=campaign)
        at = clock.iso_mixed(secs, rng.random(n) < 0.5)
        names = ("completed", "cancelled", "returned")
        status_text = [names[s] for s in status.tolist()]
        own = owner.tolist()
        columns = [
            [ids[o] for o in own],
            cols["line_number"],
            [customer[o] for o in own],
            [at[o] for o in own],
            [status_text[o] for o in own],
            cols["sku"],
            cols["category"],
            cols["quantity"],
            cols["unit_price"],
            cols["currency"],
        ]
        _write(drop, columns, planted, unspoiled=campaign)
        ctx.identities.write("web_orders", ids, render.person_ids(person))
        return _in_input_order(ids, order)

    def _write_pos(self, rng, drop, person: np.ndarray, day: np.ndarray, campaign: bool = False) -> list[str]:
        """Write till transactions; return their ids in the order of `person` (campaign: see _write_web)."""
        ctx, p, rates, tally = self.ctx, self.ctx.persons, self.ctx.rates, self.ctx.tally
        # Store hours 08:00-20:00, kept as London wall-clock time (the POS contract).
        local = ctx.base_secs + day * DAY + 8 * 3600 + rng.integers(0, 12 * 3600, len(person))
        order = np.argsort(local, kind="stable")
        person, local = person[order], local[order]
        n, arch = len(person), p.archetype[person]
        first = self.next_campaign_txn if campaign else self.next_txn
        ids = render.fmt_ids("P", 8, np.arange(first, first + n))
        if campaign:
            self.next_campaign_txn += n
        else:
            self.next_txn += n
        store = np.where(rng.random(n) < 0.85, p.home_store[person], rng.integers(1, vocab.N_STORES + 1, n))
        scanned = (p.loyalty[person] >= 0) & (rng.random(n) < 0.85)
        gives_email = ~scanned | (rng.random(n) < 0.3)
        loyalty = render.loyalty_ids(np.where(scanned, p.loyalty[person], -1))
        email = mess.apply_email_mess(
            render.emails(p, person), rng, rates.email_messy, tally, "email_messy:pos_orders"
        )
        email = [e if g else "" for e, g in zip(email, gives_email.tolist(), strict=True)]
        is_return = pos_returns(rng, arch, rates) & (not campaign)
        tally.add("pos_return_transactions", int(is_return.sum()))
        if self.campaigns is not None and not campaign:
            utc = local - clock.london_offset_hours(local) * 3600
            self.campaigns.observe_baseline(person, utc, ~is_return)
        currency = pos_currency(rng, n, rates)
        owner, cols, planted = self._lines(rng, arch, currency, is_return, clean=campaign)
        at = clock.iso_naive(local)
        store_text = render.fmt_ids("ST", 3, store)
        own = owner.tolist()
        columns = [
            [ids[o] for o in own],
            cols["line_number"],
            [store_text[o] for o in own],
            [loyalty[o] for o in own],
            [email[o] for o in own],
            [at[o] for o in own],
            cols["sku"],
            cols["category"],
            cols["quantity"],
            cols["unit_price"],
            cols["currency"],
        ]
        _write(drop, columns, planted, unspoiled=campaign)
        ctx.identities.write("pos_orders", ids, render.person_ids(person))
        return _in_input_order(ids, order)
