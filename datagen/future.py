"""The future the generator would have produced: each customer's orders after the end date.

`_truth/future.csv` holds, per customer person (anonymous visitors never buy), what they
go on to buy in the `profiles.FUTURE_DAYS` days after the end date, by the landing orders'
own rules: Poisson orders at ORDER_RATE x order_mult while alive (before `dropout_day`),
the same channel, status, currency and line draws (datagen/orders.py). It is the truth a
churn or lifetime-value model is scored against. Spend counts the way the platform does
(docs/contracts.md): GBP at the platform's FX table, a cancelled or returned web order is
worth nothing, a POS return is negative, an order is a purchase when completed and worth
more than 0, and a window's spend is never below 0. Planted messiness (malformed lines,
non-positive prices) is left out: the future is behaviour, not a landing file.

Its random stream is its own (`future`, one key per chunk), so the landing files never
depend on it; persons are simulated in chunks of about `chunk x LINES_PER_SLICE_FACTOR`
lines, so memory stays bounded at a million persons.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from customer_platform.reference_data import fx_rates_to
from datagen import profiles as pf
from datagen import render, vocab
from datagen.context import Context
from datagen.orders import (
    LINES_PER_SLICE_FACTOR,
    draw_lines,
    places_online,
    pos_currency,
    pos_returns,
    web_currency,
    web_status,
)
from datagen.persons import Persons
from datagen.profiles import MessRates

FUTURE_COLUMNS = ("person_id", "alive_at_end") + tuple(
    f"{what}_{w}d" for w in pf.FUTURE_WINDOWS for what in ("orders", "spend")
)


def gbp_rates() -> np.ndarray:
    """Multiplier to GBP of each vocab.CURRENCIES entry, from the platform's FX table."""
    rates = fx_rates_to("GBP")
    return np.array([rates[c] for c in vocab.CURRENCIES])


def future_orders(rng: np.random.Generator, p: Persons, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `idx`, day after the end 0..FUTURE_DAYS-1) of every order persons `idx` place."""
    lo = np.maximum(p.order_from[idx], p.days)
    span = np.clip(np.minimum(p.dropout_day[idx], p.days + pf.FUTURE_DAYS) - lo, 0, None)
    counts = rng.poisson(pf.ORDER_RATE[p.archetype[idx]] * p.order_mult[idx] * span)
    owner = np.repeat(np.arange(len(idx)), counts)
    day = lo[owner] - p.days + (rng.random(len(owner)) * span[owner]).astype(np.int64)
    return owner, day


def order_values(
    rng: np.random.Generator,
    p: Persons,
    person: np.ndarray,
    prices: np.ndarray,
    rates: MessRates,
    to_gbp: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(net amount in GBP to the cent, is a purchase) of orders by `person`.

    prices: the catalogue (vocab.build_catalog); to_gbp: `gbp_rates()`.
    """
    n, arch = len(person), p.archetype[person]
    online = places_online(rng, p, person)
    cancel, returned = web_status(rng.random(n), arch, rates)
    currency = np.where(online, web_currency(rng, p.country[person], rates), pos_currency(rng, n, rates))
    negative = ~online & pos_returns(rng, arch, rates)
    owner, _, _, _, qty, price = draw_lines(rng, prices, arch, currency, negative)
    net = np.round(np.bincount(owner, qty * price * to_gbp[currency[owner]], minlength=n), 2)
    completed = ~(online & (cancel | returned))
    net = np.where(completed, net, 0.0)
    return net, completed & (net > 0)


def simulate_future(
    rng: np.random.Generator,
    p: Persons,
    idx: np.ndarray,
    prices: np.ndarray,
    rates: MessRates,
    to_gbp: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(purchases, spend in GBP) of persons `idx`, one column per profiles.FUTURE_WINDOWS window."""
    owner, day = future_orders(rng, p, idx)
    net, purchase = order_values(rng, p, idx[owner], prices, rates, to_gbp)
    n = len(idx)
    orders = np.zeros((n, len(pf.FUTURE_WINDOWS)), dtype=np.int64)
    spend = np.zeros((n, len(pf.FUTURE_WINDOWS)))
    for w, window in enumerate(pf.FUTURE_WINDOWS):
        inside = day < window
        orders[:, w] = np.bincount(owner[inside & purchase], minlength=n)
        spend[:, w] = np.bincount(owner[inside], net[inside], minlength=n)
    return orders, np.round(np.maximum(spend, 0.0), 2) + 0.0  # + 0.0: no "-0.00"


def _persons_per_chunk(p: Persons, idx: np.ndarray, chunk: int) -> int:
    """Persons whose future holds about `chunk x LINES_PER_SLICE_FACTOR` order lines."""
    arch = p.archetype[idx]
    lines = pf.ORDER_RATE[arch] * p.order_mult[idx] * (1 + pf.EXTRA_LINES[arch]) * pf.FUTURE_DAYS
    per_person = float(lines.mean()) if len(idx) else 1.0
    return max(1, int(chunk * LINES_PER_SLICE_FACTOR / max(per_person, 1.0)))


def write_future_csv(ctx: Context, path: Path) -> None:
    """Write `_truth/future.csv`: one row per customer person, in person order."""
    p = ctx.persons
    prices, _ = vocab.build_catalog(ctx.rng("catalog"))  # the landing orders' catalogue
    to_gbp = gbp_rates()
    customers = np.flatnonzero(~p.visitor)
    size = _persons_per_chunk(p, customers, ctx.chunk)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(FUTURE_COLUMNS)
        for k, idx in ctx.chunks(customers, size):
            orders, spend = simulate_future(ctx.rng("future", k), p, idx, prices, ctx.rates, to_gbp)
            columns = [render.person_ids(idx), (p.dropout_day[idx] >= p.days).astype(int).tolist()]
            for w in range(len(pf.FUTURE_WINDOWS)):
                columns += [orders[:, w].tolist(), [f"{v:.2f}" for v in spend[:, w].tolist()]]
            writer.writerows(zip(*columns, strict=True))
