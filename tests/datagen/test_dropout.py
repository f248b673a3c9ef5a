"""Planted dropout ("buy till you die") and the future after the end date (`_truth/future.csv`)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import fields
from datetime import date

import numpy as np
import pytest

from datagen import generator, vocab
from datagen import profiles as pf
from datagen.future import FUTURE_COLUMNS, future_orders, gbp_rates, simulate_future
from datagen.generator import generate
from datagen.persons import Persons, build_persons
from datagen.worlds import WORLDS, World
from tests.datagen.conftest import CUSTOMERS, END
from tests.datagen.landing import as_utc, campaign_orders, csv_rows, read_truth, tree_digest

pytestmark = pytest.mark.unit

DAYS = 30
BIG = 21_000
#: Archetypes with a hazard (lapsing persons have a planted stop instead).
HAZARD_ARCHETYPES = [a for i, a in enumerate(pf.ARCHETYPES) if pf.DROPOUT_RATE[i] > 0]


def _build(world: World, n: int = BIG, seed: int = 5) -> Persons:
    return build_persons(np.random.default_rng(seed), n, DAYS, 0, 20_000, pf.MessRates(), world)


@pytest.fixture(scope="module")
def population() -> Persons:
    """All seven archetypes, about 3,000 persons each, over a 30-day run."""
    return _build(WORLDS["seven_archetypes"])


@pytest.fixture(scope="module")
def future(population):
    """(placed orders per person in 90 days, completed purchases and spend per future window)."""
    idx = np.arange(population.n)
    owner, day = future_orders(np.random.default_rng(1), population, idx)
    placed_90d = np.bincount(owner[day < 90], minlength=population.n)
    prices, _ = vocab.build_catalog(np.random.default_rng(2))
    orders, spend = simulate_future(
        np.random.default_rng(3), population, idx, prices, pf.MessRates(), gbp_rates()
    )
    return placed_90d, orders, spend


def _by_archetype(p: Persons, name: str) -> np.ndarray:
    return p.archetype == pf.ARCHETYPES.index(name)


def test_dropout_share_after_the_end_grows_with_the_hazard(population):
    p, shares = population, {}
    alive = p.dropout_day >= p.days
    for name in HAZARD_ARCHETYPES:
        group = alive & _by_archetype(p, name)
        shares[name] = float((p.dropout_day[group] < p.days + pf.FUTURE_DAYS).mean())
        hazard = pf.DROPOUT_RATE[pf.ARCHETYPES.index(name)]
        assert shares[name] == pytest.approx(1 - np.exp(-pf.FUTURE_DAYS * hazard), abs=0.03), name
    by_hazard = sorted(HAZARD_ARCHETYPES, key=lambda a: pf.DROPOUT_RATE[pf.ARCHETYPES.index(a)])
    assert [shares[a] for a in by_hazard] == sorted(shares.values())
    assert shares["champion"] < shares["discount_hunter"] < shares["new_customer"]


def test_orders_stop_at_the_dropout_day_and_lapsing_keep_their_planted_stop(population):
    p = population
    assert (p.order_to <= p.dropout_day).all()
    assert (p.dropout_day > p.order_from).all()  # everyone lives through their first order day
    lapsing = _by_archetype(p, "lapsing")
    assert (p.dropout_day[lapsing] == p.order_to[lapsing]).all()
    assert (p.days - p.dropout_day[lapsing] >= 150).all()
    assert (p.order_to[~lapsing & (p.dropout_day >= p.days)] == p.days).all()


def test_future_placed_orders_follow_the_order_rate_while_alive(population, future):
    placed_90d, orders, _ = future
    p = population
    alive = p.dropout_day >= p.days
    for name in HAZARD_ARCHETYPES:
        a = pf.ARCHETYPES.index(name)
        group = alive & _by_archetype(p, name)
        hazard = pf.DROPOUT_RATE[a]
        expected = pf.ORDER_RATE[a] * (1 - np.exp(-90 * hazard)) / hazard  # rate x E[min(life, 90)]
        assert placed_90d[group].mean() == pytest.approx(expected, rel=0.08), name
        completed = orders[group, 0].mean() / placed_90d[group].mean()
        assert 0.8 < completed < 0.99, name  # cancellations, web returns and POS returns are not orders


def test_future_spend_per_order_keeps_the_archetypes_baskets(population, future):
    _, orders, spend = future
    p = population
    per_order = {
        name: spend[_by_archetype(p, name), 1].sum() / orders[_by_archetype(p, name), 1].sum()
        for name in HAZARD_ARCHETYPES
    }
    assert per_order["champion"] > 4 * per_order["discount_hunter"]
    assert per_order["window_shopper"] > 2 * per_order["discount_hunter"]
    assert (orders[:, 0] <= orders[:, 1]).all()
    assert (spend >= 0).all()


def test_nobody_dead_at_the_end_buys_in_the_future(population, future):
    _, orders, spend = future
    dead = population.dropout_day < population.days
    assert dead.sum() > 0.2 * population.n
    assert orders[dead].sum() == 0 and spend[dead].sum() == 0
    assert orders[~dead, 0].mean() > 1


def test_dropout_has_its_own_stream_and_the_world_scales_it():
    demo, doubled = _build(World("demo"), 3000), _build(World("doubled", dropout=2.0), 3000)
    immortal = _build(World("immortal", dropout=0.0), 3000)
    for f in fields(Persons):
        if f.name not in ("order_to", "dropout_day"):
            assert np.array_equal(getattr(demo, f.name), getattr(doubled, f.name)), f.name
    assert (doubled.dropout_day <= demo.dropout_day).all()
    assert (doubled.dropout_day < demo.dropout_day).mean() > 0.3
    lapsing = _by_archetype(immortal, "lapsing")
    assert (immortal.dropout_day[~lapsing] == immortal.days + pf.FUTURE_DAYS).all()
    assert (immortal.dropout_day[lapsing] < immortal.days).all()


# The written files ---------------------------------------------------------------------------


def test_future_has_one_row_per_customer_person_and_agrees_with_persons(default_run):
    root, _ = default_run
    persons = read_truth(root, "persons.csv")
    rows = read_truth(root, "future.csv")
    assert tuple(rows[0]) == FUTURE_COLUMNS
    assert [r["person_id"] for r in rows] == [p["person_id"] for p in persons]
    assert [r["alive_at_end"] for r in rows] == [p["alive_at_end"] for p in persons]
    assert {p["alive_at_end"] for p in persons} == {"0", "1"}
    for p in persons:
        dropout = p["dropout_date"]
        assert (p["alive_at_end"] == "1") == (not dropout or date.fromisoformat(dropout) > END), p


def test_persons_dead_at_the_end_have_no_future_orders(default_run):
    rows = read_truth(default_run[0], "future.csv")
    dead = [r for r in rows if r["alive_at_end"] == "0"]
    alive = [r for r in rows if r["alive_at_end"] == "1"]
    assert len(dead) > 30 and len(alive) > 30
    assert all(r[c] in ("0", "0.00") for r in dead for c in FUTURE_COLUMNS[2:])
    assert sum(int(r["orders_90d"]) for r in alive) > len(alive)
    assert all(int(r["orders_90d"]) <= int(r["orders_365d"]) for r in rows)


def test_landing_orders_stop_before_the_dropout_date(default_run):
    root, _ = default_run
    dropout = {
        p["person_id"]: date.fromisoformat(p["dropout_date"])
        for p in read_truth(root, "persons.csv")
        if p["dropout_date"]
    }
    owner = {(r["source"], r["source_record_id"]): r["person_id"] for r in read_truth(root, "identities.csv")}
    planted = campaign_orders(root)  # a campaign's extra order may win back someone who had left
    last = defaultdict(lambda: date.min)
    for source, key, at in (
        ("web_orders", "order_id", "ordered_at"),
        ("pos_orders", "transaction_id", "transacted_at"),
    ):
        for r in csv_rows(root, source):
            if (source, r[key]) in planted:
                continue
            person = owner[(source, r[key])]
            last[person] = max(last[person], as_utc(r[at]).date())
    stopped = [person for person in dropout if dropout[person] <= END and person in last]
    assert len(stopped) > 30  # persons who bought in the history and dropped out before the end
    assert all(last[person] < dropout[person] for person in dropout if person in last)


def test_champions_churn_less_than_discount_hunters_in_the_demo(default_run):
    persons = read_truth(default_run[0], "persons.csv")
    alive, count = Counter(), Counter()
    for p in persons:
        count[p["archetype"]] += 1
        alive[p["archetype"]] += p["alive_at_end"] == "1"
    share = {a: alive[a] / count[a] for a in count}
    assert share["champion"] > share["discount_hunter"]
    assert share["lapsing"] == 0.0
    assert share["new_customer"] > 0.9


def test_planted_json_records_the_hazards_and_who_is_alive(default_run):
    root, _ = default_run
    doc = json.loads((root / "_truth" / "planted.json").read_text())["dropout"]
    assert doc["rate_per_day"]["champion"] == pytest.approx(1 / 6000)
    assert doc["rate_per_day"]["discount_hunter"] == pytest.approx(1 / 2000)
    alive = Counter(p["archetype"] for p in read_truth(root, "persons.csv") if p["alive_at_end"] == "1")
    assert doc["alive_at_end"] == {a: alive[a] for a in doc["rate_per_day"]}
    assert sum(doc["alive_at_end"].values()) < CUSTOMERS


def test_landing_files_do_not_depend_on_the_future(tmp_path, monkeypatch):
    generate(tmp_path / "with", 150, END, END, seed=4)
    monkeypatch.setattr(generator, "write_future_csv", lambda ctx, path: None)
    generate(tmp_path / "without", 150, END, END, seed=4)
    with_future, without = tree_digest(tmp_path / "with"), tree_digest(tmp_path / "without")
    assert set(with_future) - set(without) == {"_truth/future.csv"}
    assert all(with_future[path] == digest for path, digest in without.items())


def test_future_leaves_out_anonymous_visitors(tmp_path):
    generate(tmp_path, 60, END, END, seed=2, world=WORLDS["heavy_anonymous"])
    persons = read_truth(tmp_path, "persons.csv")
    ids = [r["person_id"] for r in read_truth(tmp_path, "future.csv")]
    assert len(persons) == 90
    assert ids == [p["person_id"] for p in persons[:60]]
    assert all(p["dropout_date"] == p["alive_at_end"] == "" for p in persons[60:])
