"""Personas: deterministic unique names, and segment ids that survive retraining."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.segmentation.personas import (
    base_name,
    initial_segment_ids,
    match_segment_ids,
    name_personas,
    population_reference,
)
from models.segmentation.pipeline import CLUSTER_FEATURES, KMEANS
from models.segmentation.selection import SelectionConfig, select_model
from models.segmentation.training import build_segment_table

REFERENCE = {
    "recency_days": 30.0,
    "frequency": 3.0,
    "monetary": 150.0,
    "sessions": 8.0,
    "tenure_days": 500.0,
    "email_open_rate": 0.3,
    "return_rate": 0.05,
}


def _centroid(**overrides):
    base = {
        "recency_days": 30.0,
        "frequency": 3.0,
        "monetary": 150.0,
        "sessions": 8.0,
        "tenure_days": 500.0,
        "email_open_rate": 0.3,
        "return_rate": 0.05,
        "share_outlet": 0.1,
    }
    return base | overrides


def test_rules_name_archetypes():
    assert base_name(_centroid(frequency=0.1, monetary=0, sessions=40), REFERENCE) == "Window shoppers"
    assert base_name(_centroid(recency_days=240), REFERENCE) == "Lapsing customers"
    # 111 days since the last order is on cadence for a segment that orders 1.7 times a year
    assert (
        base_name(_centroid(recency_days=111, frequency=1.7, monetary=85, sessions=40), REFERENCE)
        == "Active browsers"
    )
    assert base_name(_centroid(tenure_days=20, frequency=1), REFERENCE) == "New customers"
    assert base_name(_centroid(share_outlet=0.6), REFERENCE) == "Bargain hunters"
    assert base_name(_centroid(frequency=12, monetary=1200), REFERENCE) == "High-value regulars"
    assert base_name(_centroid(), REFERENCE) == "Occasional buyers"


def test_rules_name_basket_value_when_the_model_has_it():
    reference = REFERENCE | {"avg_order_value": 50.0}
    current = {
        k: v for k, v in _centroid(avg_order_value=50.0).items() if k not in ("monetary", "share_outlet")
    }
    assert base_name(current | {"frequency": 9, "avg_order_value": 100}, reference) == "High-value regulars"
    assert base_name(current | {"avg_order_value": 120}, reference) == "Big-basket buyers"
    assert base_name(current | {"frequency": 9, "avg_order_value": 20}, reference) == "Frequent small baskets"
    assert base_name(current | {"frequency": 9}, reference) == "Regulars"
    [(_, described)] = name_personas([current | {"avg_order_value": 100}], reference, 365)
    assert "baskets 2.0× the median" in described


def test_persona_names_avoid_the_reserved_lifecycle_names():
    centroids = [_centroid(recency_days=240), _centroid()]
    [(lapsing, _), (occasional, _)] = name_personas(centroids, REFERENCE, 365, reserved={"Lapsing customers"})
    assert lapsing.startswith("Lapsing customers (") and occasional == "Occasional buyers"


def test_description_is_in_plain_units():
    [(name, description)] = name_personas(
        [_centroid(recency_days=4, frequency=12, monetary=465)], REFERENCE, 365
    )
    assert name == "Regulars"  # 4x the orders at a smaller spend per order: not high-value
    assert description.startswith("last order 4 days ago, 12 orders a year, spends 3.1× the median")


def test_a_model_without_web_or_email_features_describes_no_web_or_email_activity():
    orders_only = {k: v for k, v in _centroid(recency_days=4, frequency=12, monetary=465).items()
                   if k not in ("sessions", "email_open_rate")}  # fmt: skip
    [(_, described)] = name_personas([orders_only], REFERENCE, 365)
    assert described == "last order 4 days ago, 12 orders a year, spends 3.1× the median"
    [(_, with_web)] = name_personas([_centroid(recency_days=4, frequency=12, monetary=465)], REFERENCE, 365)
    assert with_web.endswith(", 8 web sessions, opens 30% of emails")


def test_same_names_are_disambiguated_deterministically():
    centroids = [
        _centroid(monetary=140, sessions=14),
        _centroid(monetary=160, sessions=2),
        _centroid(monetary=150),
    ]
    first = name_personas(centroids, REFERENCE, 365)
    assert first == name_personas(centroids, REFERENCE, 365)
    names = [n for n, _ in first]
    assert len(set(names)) == 3
    assert names == [
        "Occasional buyers (heavy browsers)",
        "Occasional buyers (rarely online)",
        "Occasional buyers (typical)",
    ]


def test_personas_from_a_trained_model_are_deterministic_and_unique(planted):
    features, _ = planted
    config = SelectionConfig(k_min=3, k_max=8, algorithms=(KMEANS,), n_init=2)
    tables = [
        build_segment_table(select_model(features, config, 42), features, config, None) for _ in range(2)
    ]
    assert [(s["segment_id"], s["name"], s["description"]) for s in tables[0]] == [
        (s["segment_id"], s["name"], s["description"]) for s in tables[1]
    ]
    assert len({s["name"] for s in tables[0]}) == len(tables[0])
    assert sorted(s["segment_id"] for s in tables[0]) == list(range(len(tables[0])))


def test_population_reference_never_zero(planted):
    features, _ = planted
    reference = population_reference(features, CLUSTER_FEATURES)
    assert all(value > 0 for value in reference.values())


def test_initial_ids_follow_spend():
    assert initial_segment_ids([{"monetary": 10}, {"monetary": 500}, {"monetary": 80}]) == [2, 0, 1]


def test_matching_reuses_ids_and_numbers_new_segments_after_the_largest():
    previous = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    previous_ids = [3, 0, 7]
    new = np.array([[-5.1, 4.9], [0.1, 0.0], [5.0, 5.2], [20.0, 20.0]])
    centroids = [{"monetary": m} for m in (1, 2, 3, 4)]
    assert match_segment_ids(new, previous, previous_ids, centroids) == [7, 3, 0, 8]


def test_fewer_segments_keep_their_ids_and_a_far_centroid_gets_a_new_one():
    previous = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    new = np.array([[5.0, 5.0], [0.0, 9.0]])  # the second is > 6 from every remaining centroid
    assert match_segment_ids(new, previous, [0, 1, 2], [{}, {}], max_distance=3.0) == [1, 3]


def test_recency_reference_ignores_contacts_without_orders():
    # three buyers and five contacts at the no-order sentinel (window + 1 days)
    frame = pd.DataFrame({"recency_days": [10, 20, 30] + [366] * 5, "frequency": [2, 1, 4] + [0] * 5})
    reference = population_reference(frame, ["recency_days", "frequency"])
    assert reference["recency_days"] == 20.0
    lapsed = {"recency_days": 241.0, "frequency": 3.0, "tenure_days": 800.0}
    assert base_name(lapsed, reference | {"tenure_days": 600.0}) == "Lapsing customers"
