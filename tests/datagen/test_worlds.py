"""Worlds: the demo stays byte-identical, and every other world changes what it promises."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pytest

from datagen import profiles as pf
from datagen.cli import main
from datagen.generator import generate
from datagen.persons import build_persons
from datagen.worlds import WORLDS, World, load_world
from tests.datagen.landing import read_truth, tree_digest

pytestmark = pytest.mark.unit

START, END = date(2026, 6, 1), date(2026, 6, 3)
CUSTOMERS = 300
PER_ARCHETYPE = (
    "ORDER_RATE",
    "WEB_SHARE",
    "EXTRA_LINES",
    "EXTRA_QUANTITY",
    "SKU_SKEW",
    "RETURN_FACTOR",
    "CATEGORY_MIX",
    "SESSION_RATE",
    "EXTRA_EVENTS",
    "EVENT_MIX",
    "OPEN_RATE",
    "CLICK_RATE",
    "UNSUBSCRIBE_RATE",
    "INCOME_MIX",
    "DROPOUT_RATE",
)


def _run(tmp_path_factory, world: World | None, customers: int = CUSTOMERS, seed: int = 7):
    out = tmp_path_factory.mktemp(f"world-{world.name if world else 'none'}")
    return out, generate(out, customers, START, END, seed=seed, world=world)


@pytest.fixture(scope="module")
def no_world(tmp_path_factory):
    return _run(tmp_path_factory, None)


@pytest.fixture(scope="module")
def heavy_anonymous(tmp_path_factory):
    return _run(tmp_path_factory, WORLDS["heavy_anonymous"])


def _archetypes(root) -> Counter:
    return Counter(p["archetype"] for p in read_truth(root, "persons.csv"))


def _cookie_only_share(root) -> float:
    """Share of the persons in identities.csv whose only records are web-event cookies."""
    sources = defaultdict(set)
    for r in read_truth(root, "identities.csv"):
        sources[r["person_id"]].add(r["source"])
    return sum(s == {"web_events"} for s in sources.values()) / len(sources)


def test_every_archetype_has_a_row_in_every_behaviour_table():
    for name in PER_ARCHETYPE:
        assert len(getattr(pf, name)) == len(pf.ARCHETYPES), name
    for name in ("CATEGORY_MIX", "EVENT_MIX", "INCOME_MIX"):
        assert np.allclose(getattr(pf, name).sum(axis=1), 1.0), name
    assert pf.ARCHETYPES[:5] == ("champion", "discount_hunter", "lapsing", "new_customer", "window_shopper")


def test_demo_world_is_byte_identical_to_no_world(tmp_path_factory, no_world):
    root, _ = _run(tmp_path_factory, WORLDS["demo"])
    digest = tree_digest(root)
    assert len(digest) >= 20  # every source on every day, and the truth
    assert digest == tree_digest(no_world[0])
    assert "world" not in json.loads((root / "_truth" / "planted.json").read_text())


def test_two_archetypes_writes_only_those_two(tmp_path_factory):
    root, report = _run(tmp_path_factory, WORLDS["two_archetypes"])
    assert set(_archetypes(root)) == {"champion", "window_shopper"}
    doc = json.loads((root / "_truth" / "planted.json").read_text())
    assert doc["world"]["name"] == "two_archetypes"
    assert set(doc["archetypes"]) == set(report.archetypes) == {"champion", "window_shopper"}


def test_seven_archetypes_writes_all_seven_roughly_evenly(tmp_path_factory):
    root, _ = _run(tmp_path_factory, WORLDS["seven_archetypes"])
    counts = _archetypes(root)
    assert set(counts) == set(pf.ARCHETYPES)
    assert min(counts.values()) > CUSTOMERS / 7 / 2


def test_heavy_anonymous_has_far_more_cookie_only_persons(no_world, heavy_anonymous):
    demo_share, heavy_share = _cookie_only_share(no_world[0]), _cookie_only_share(heavy_anonymous[0])
    assert heavy_share > 0.08
    assert heavy_share > 4 * demo_share


def test_anonymous_visitors_never_order_nor_join_the_crm(heavy_anonymous):
    root, report = heavy_anonymous
    persons = read_truth(root, "persons.csv")
    visitors = {p["person_id"] for p in persons[CUSTOMERS:]}
    assert len(visitors) == round(0.5 * CUSTOMERS) == _visitors_recorded(root)
    assert all(not p["crm_customer_id"] and not p["loyalty_id"] for p in persons[CUSTOMERS:])
    assert len({p["email"] for p in persons}) == len(persons)  # visitors' emails are new ones
    sources = {r["source"] for r in read_truth(root, "identities.csv") if r["person_id"] in visitors}
    assert sources == {"web_events"}
    assert report.customers == CUSTOMERS


def _visitors_recorded(root) -> int:
    """Anonymous visitors counted in planted.json (which also holds the world's anonymous rate)."""
    doc = json.loads((root / "_truth" / "planted.json").read_text())
    assert doc["rates"]["anonymous_only"] == 0.5
    return doc["population"]["anonymous_visitors"]


def test_heavy_anonymous_leaves_the_customers_orders_unchanged(no_world, heavy_anonymous):
    demo, heavy = tree_digest(no_world[0]), tree_digest(heavy_anonymous[0])
    orders = [p for p in demo if p.split("/")[0] in ("web_orders", "pos_orders", "crm_customers")]
    assert orders and all(demo[p] == heavy[p] for p in orders)


def _order_count_cv(root, archetypes: tuple[str, ...]) -> float:
    """Mean over archetypes of the coefficient of variation of orders per person."""
    arch = {p["person_id"]: p["archetype"] for p in read_truth(root, "persons.csv")}
    orders = Counter(r["person_id"] for r in read_truth(root, "identities.csv") if "orders" in r["source"])
    cvs = []
    for a in archetypes:
        counts = np.array([orders[p] for p, pa in arch.items() if pa == a])
        cvs.append(counts.std() / counts.mean())
    return float(np.mean(cvs))


def test_noise_widens_the_spread_of_order_counts(tmp_path_factory, no_world):
    mix = {"champion": 1.0, "discount_hunter": 1.0}
    calm, _ = _run(tmp_path_factory, World("calm", archetype_mix=mix, noise=0.5), customers=400)
    loud, _ = _run(tmp_path_factory, World("loud", archetype_mix=mix, noise=2.0), customers=400)
    assert _order_count_cv(loud, tuple(mix)) > 1.5 * _order_count_cv(calm, tuple(mix))
    noisy, _ = _run(tmp_path_factory, WORLDS["noisy"])  # same seed: the same persons' archetypes
    buyers = ("champion", "discount_hunter", "lapsing", "window_shopper")
    assert _order_count_cv(noisy, buyers) > 1.2 * _order_count_cv(no_world[0], buyers)


def test_noise_scales_the_multipliers_spread_and_keeps_their_mean():
    rng = np.random.default_rng(0)
    p = build_persons(rng, 20_000, 3, 0, 20_000, pf.MessRates(), WORLDS["noisy"])
    assert p.order_mult.mean() == pytest.approx(1.0, abs=0.03)
    assert p.order_mult.std() == pytest.approx(0.5 * 1.6, rel=0.05)
    assert p.web_mult.std() == pytest.approx(np.sqrt(1 / 3) * 1.6, rel=0.05)


def test_store_first_moves_orders_into_the_stores(no_world, tmp_path_factory):
    _, store = _run(tmp_path_factory, WORLDS["store_first"])
    _, demo = no_world
    demo_web = demo.total_rows("web_orders") / (demo.total_rows("web_orders") + demo.total_rows("pos_orders"))
    store_web = store.total_rows("web_orders") / (
        store.total_rows("web_orders") + store.total_rows("pos_orders")
    )
    assert store_web < 0.6 * demo_web


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"archetype_mix": {"champion": 1, "wizard": 1}}, "wizard"),
        ({"archetype_mix": {"champion": 1}}, "archetype_mix"),
        ({"archetype_mix": {"champion": 1, "lapsing": 0}}, "lapsing"),
        ({"online_share": -0.1}, "online_share"),
        ({"anonymous_share": 1.5}, "anonymous_share"),
        ({"noise": 0}, "noise"),
        ({"noise": True}, "noise"),
        ({"dropout": -0.5}, "dropout"),
        ({"dropout": "high"}, "dropout"),
        ({"rates": {"bogus": 0.1}}, "bogus"),
        ({"rates": {"malformed_line": 2.0}}, "malformed_line"),
        ({"anonymous_share": 0.3, "rates": {"anonymous_only": 0.2}}, "anonymous_only"),
    ],
)
def test_bad_world_settings_raise_naming_them(kwargs, named):
    with pytest.raises(ValueError, match=named):
        World("bad", **kwargs)


def test_load_world_reads_presets_and_yaml_files(tmp_path):
    assert load_world("noisy") is WORLDS["noisy"]
    path = tmp_path / "mine.yaml"
    path.write_text("archetype_mix: {big_ticket: 3, store_loyalist: 1}\nonline_share: 0.5\n")
    world = load_world(path)
    assert world.name == "mine"
    assert world.archetype_mix == {"big_ticket": 0.75, "store_loyalist": 0.25}
    assert not world.is_demo and World("plain").is_demo


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("noise: 1.2\nnoize: 2\n", "noize"),
        ("noise: -1\n", "noise"),
        ("archetype_mix: {champion: 1, elf: 2}\n", "elf"),
        ("- just\n- a list\n", "mapping"),
        ("noise: [1\n", "not valid YAML"),
    ],
)
def test_load_world_names_the_bad_key_or_value_in_one_line(tmp_path, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=named) as exc:
        load_world(path)
    assert "\n" not in str(exc.value)


def test_load_world_names_an_unknown_preset_and_lists_the_presets():
    with pytest.raises(ValueError, match="atlantis") as exc:
        load_world("atlantis")
    assert all(name in str(exc.value) for name in WORLDS)


def test_cli_bad_world_exits_2_listing_presets(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--out", str(tmp_path / "out"), "--world", "atlantis"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --world" in err and "atlantis" in err and "two_archetypes" in err
    assert not (tmp_path / "out").exists()


def test_cli_world_is_recorded_and_rate_flags_win(tmp_path):
    out = tmp_path / "out"
    argv = [
        "generate",
        "--out",
        str(out),
        "--customers",
        "40",
        "--start",
        "2026-06-01",
        "--end",
        "2026-06-01",
    ]
    assert main([*argv, "--world", "heavy_anonymous", "--rate", "malformed_line=0.02"]) == 0
    doc = json.loads((out / "_truth" / "planted.json").read_text())
    assert doc["world"]["name"] == "heavy_anonymous"
    assert doc["rates"]["malformed_line"] == 0.02 and doc["rates"]["anonymous_only"] == 0.5
