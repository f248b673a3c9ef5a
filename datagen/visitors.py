"""Anonymous visitors: persons who browse the web shop and are known nowhere else.

A world with `anonymous_share` adds `World.visitors(customers)` of them after the
customers (person indices from `customers` on), drawn from their own random stream so the
customers' draws stay unchanged. They never log in, order, subscribe, hold a loyalty card
or a CRM account, and the demographics vendor does not know them: their only records are
web-event cookies. Their archetype, drawn from the world's mix, sets how much they browse;
`_truth/persons.csv` lists them like every other person.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np

from datagen.persons import Persons, build_persons, phone_numbers
from datagen.profiles import MessRates
from datagen.worlds import World


def build_visitors(
    rng: np.random.Generator, customers: Persons, count: int, base_secs: int, end_day: int, world: World
) -> Persons:
    """Draw `count` visitors whose person indices, emails, phones and cookies follow `customers`'."""
    # Drawn as a population without CRM members; whatever else could link them is cleared.
    drawn = build_persons(rng, count, customers.days, base_secs, end_day, MessRates(crm_member=0.0), world)
    idx = np.arange(customers.n, customers.n + count)
    no = np.zeros(count, dtype=bool)
    none = np.zeros(count, dtype=np.int64)
    return replace(
        drawn,
        # Customers' email numbers stay below this width, so the visitors' never collide.
        email_num=drawn.email_num + 10 ** max(4, len(str(customers.n))),
        phone_num=phone_numbers(idx, drawn.country),
        has_second_email=no,
        order_to=drawn.order_from,
        dropout_day=drawn.order_from,
        order_mult=np.zeros(count),
        web_share=np.zeros(count),
        loyalty=np.full(count, -1, dtype=np.int64),
        consent=no,
        cookie_start=drawn.cookie_start + customers.n_cookies,
        sub_primary=none,
        sub_second=none,
        has_demographics=no,
        visitor=np.ones(count, dtype=bool),
    )


def join_persons(customers: Persons, visitors: Persons) -> Persons:
    """One population: the customers, then the visitors."""
    arrays: dict[str, Any] = {
        f.name: np.concatenate([getattr(customers, f.name), getattr(visitors, f.name)])
        for f in fields(Persons)
        if isinstance(getattr(customers, f.name), np.ndarray)
    }
    return replace(customers, n=customers.n + visitors.n, **arrays)
