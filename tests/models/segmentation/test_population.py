"""Who is clustered: known customers with behaviour; everyone else keeps a lifecycle segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.segmentation.population import has_behaviour, lifecycle_assignments, split_population


def test_orders_decide_when_an_order_source_stands_behind_frequency():
    mask, rule = has_behaviour(pd.DataFrame({"frequency": [0, 2], "sessions": [3, 0]}))
    assert mask.tolist() == [False, True] and rule == "frequency >= 1"


def test_without_orders_web_or_email_activity_decides():
    frame = pd.DataFrame({"frequency": [np.nan] * 3, "sessions": [3, 0, 0], "emails_sent": [0, 0, 4]})
    mask, rule = has_behaviour(frame)
    assert mask.tolist() == [True, False, True] and "no order source" in rule
    assert has_behaviour(pd.DataFrame({"tenure_days": [10]}))[0].tolist() == [False]


def test_every_customer_lands_in_exactly_one_part():
    features = pd.DataFrame({"unified_customer_id": ["a", "b", "c"], "frequency": [2, 0, 1]})
    lifecycle = pd.DataFrame(
        {
            "unified_customer_id": ["a", "b", "c", "d"],
            "lifecycle_stage": ["active", "prospect", "anonymous", "anonymous"],
            "is_known": [True, True, False, False],
        }
    )
    population = split_population(features, lifecycle)
    assert population.features["unified_customer_id"].tolist() == ["a"]  # c ordered but is a cookie
    assert population.lifecycle["unified_customer_id"].tolist() == ["b", "c", "d"]
    assert lifecycle_assignments(population.lifecycle)["segment_id"].tolist() == [-2, -1, -1]
    with pytest.raises(ValueError, match="no row in marts.customer_lifecycle"):
        split_population(features, lifecycle.iloc[:2])
