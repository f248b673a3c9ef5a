"""The population shift across observation dates (bench.population_shift), on hand-made purchases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from bench.population_shift import NEWCOMER_DAYS, deciles_within, main, repeat_shares

pytestmark = pytest.mark.unit

AS_OF = dt.date(2026, 1, 1)


def _purchases(rows: list[tuple[str, int, bool, str]]) -> pd.DataFrame:
    # (customer, days after AS_OF (negative: before), campaign order, archetype)
    return pd.DataFrame(
        [(c, AS_OF + dt.timedelta(days=d), campaign, a) for c, d, campaign, a in rows],
        columns=["unified_customer_id", "order_date", "campaign", "archetype"],
    )


def test_shares_count_buyers_as_of_the_date_and_only_organic_purchases_after_it():
    purchases = _purchases(
        [
            ("a", -200, False, "loyal"),
            ("a", 10, False, "loyal"),  # buys again
            ("b", -100, False, "loyal"),
            ("b", 30, True, "loyal"),  # only a campaign order: not again
            ("c", -50, False, "lapsing"),
            ("c", 91, False, "lapsing"),  # after the horizon: not again
            ("d", -NEWCOMER_DAYS, False, "lapsing"),  # a newcomer who buys again
            ("d", 5, False, "lapsing"),
            ("e", 3, False, "loyal"),  # first purchase after the date: not a buyer yet
        ]
    )
    table = repeat_shares(purchases, AS_OF, horizon_days=90).set_index("archetype")
    assert table.loc["loyal", "buyers"] == 2 and table.loc["loyal", "buy_again_share"] == 0.5
    assert table.loc["lapsing", "buyers"] == 2 and table.loc["lapsing", "buy_again_share"] == 0.5
    assert table.loc["lapsing", "newcomers"] == 1 and table.loc["lapsing", "newcomers_buy_again_share"] == 1.0
    assert table.loc["loyal", "newcomers"] == 0 and np.isnan(table.loc["loyal", "newcomers_buy_again_share"])
    assert table.loc["all", "buyers"] == 4 and table.loc["all", "buy_again_share"] == 0.5
    assert list(table.index) == ["lapsing", "loyal", "all"]


def test_a_customer_without_a_person_counts_as_unknown():
    purchases = _purchases([("a", -10, False, None), ("a", 1, False, None)])
    table = repeat_shares(purchases, AS_OF, horizon_days=90).set_index("archetype")
    assert table.loc["unknown", "buyers"] == 1 and table.loc["unknown", "buy_again_share"] == 1.0


def test_deciles_within_tolerance():
    actual = np.repeat(np.arange(1.0, 11.0), 10)
    assert deciles_within(actual.copy(), actual) == 10
    off = actual.copy()
    off[actual == 3.0] *= 1.3  # one decile 30 % over
    off[actual == 7.0] *= 1.15  # one 15 % over: still within
    assert deciles_within(off, actual) == 9
    # A decile predicted and spending nothing is within; one predicted above nothing is not.
    assert deciles_within(np.zeros(20), np.zeros(20)) == 10
    assert deciles_within(np.ones(20), np.zeros(20)) == 0


def test_cli_without_truth_says_so_in_one_line(isolated_settings, capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("population shift: no ground truth") and "future.csv" in captured.err
