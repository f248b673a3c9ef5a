"""Archetypes behave differently enough for segmentation to recover them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest

from tests.datagen.conftest import END, START
from tests.datagen.landing import as_utc, campaign_orders, csv_rows, json_events, read_truth


@pytest.fixture(scope="module")
def owners(default_run):
    root, _ = default_run
    archetype = {p["person_id"]: p["archetype"] for p in read_truth(root, "persons.csv")}
    return {
        (r["source"], r["source_record_id"]): archetype[r["person_id"]]
        for r in read_truth(root, "identities.csv")
    }


def _orders(root, owners):
    """archetype -> list of (order amount, outlet share, order date) over web and POS orders.

    The extra orders the campaigns planted are left out: they are not the archetype's own.
    """
    lines, planted = defaultdict(list), campaign_orders(root)
    for source, key, at in (
        ("web_orders", "order_id", "ordered_at"),
        ("pos_orders", "transaction_id", "transacted_at"),
    ):
        for r in csv_rows(root, source):
            if (source, r[key]) in planted:
                continue
            lines[(source, r[key])].append(
                (float(r["unit_price"]) * int(r["quantity"]), r["category"], r[at])
            )
    out = defaultdict(list)
    for (source, order_id), items in lines.items():
        amount = sum(a for a, _, _ in items)
        outlet = sum(a for a, c, _ in items if c == "outlet") / amount if amount > 0 else 0.0
        out[owners[(source, order_id)]].append((amount, outlet, as_utc(items[0][2]).date()))
    return out


def test_champions_spend_more_per_order_and_hunters_buy_outlet(default_run, owners):
    orders = _orders(default_run[0], owners)
    mean_value = {a: np.mean([o[0] for o in v]) for a, v in orders.items()}
    outlet = {a: np.mean([o[1] for o in v]) for a, v in orders.items()}
    assert mean_value["champion"] > 4 * mean_value["discount_hunter"]
    assert outlet["discount_hunter"] > 0.5 > 0.1 > outlet["champion"]


def test_lapsing_customers_stopped_buying_long_ago(default_run, owners):
    orders = _orders(default_run[0], owners)
    last = max(o[2] for o in orders["lapsing"])
    assert last < END - timedelta(days=120)
    assert max(o[2] for o in orders["champion"]) >= END - timedelta(days=7)


def test_new_customers_are_first_seen_in_the_last_thirty_days(default_run):
    persons = read_truth(default_run[0], "persons.csv")
    seen = defaultdict(list)
    for p in persons:
        seen[p["archetype"]].append(date.fromisoformat(p["first_seen_date"]))
    assert min(seen["new_customer"]) >= END - timedelta(days=30)
    others = [d for a, days in seen.items() if a != "new_customer" for d in days]
    assert max(others) < START


def test_window_shoppers_browse_most(default_run, owners):
    events, _ = json_events(default_run[0])
    per_person_events = defaultdict(int)
    for e in events:
        per_person_events[owners[("web_events", e["cookie_id"])]] += 1
    archetypes = defaultdict(int)
    for p in read_truth(default_run[0], "persons.csv"):
        archetypes[p["archetype"]] += 1
    rate = {a: per_person_events[a] / n for a, n in archetypes.items()}
    assert rate["window_shopper"] > 3 * max(rate["champion"], rate["discount_hunter"])
    assert rate["lapsing"] < rate["champion"]


def test_engaged_archetypes_open_and_click_more_than_lapsing(default_run, owners):
    counts = defaultdict(lambda: defaultdict(int))
    for r in csv_rows(default_run[0], "email_engagement"):
        counts[owners[("email_engagement", r["subscriber_id"])]][r["event_type"]] += 1
    open_rate = {a: c["open"] / c["sent"] for a, c in counts.items()}
    assert min(open_rate["champion"], open_rate["discount_hunter"]) > 3 * open_rate["lapsing"]
    assert counts["discount_hunter"]["click"] > counts["lapsing"]["click"]
