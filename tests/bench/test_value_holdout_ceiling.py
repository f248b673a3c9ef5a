"""The value holdout's ceiling (bench.value_holdout_ceiling), on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from bench.value_holdout_ceiling import main, perfect_model_ceiling, platform_deciles

pytestmark = pytest.mark.unit


def test_deciles_of_stopped_customers_with_spend_cap_a_perfect_model():
    # 100 customers, 35 stopped: deciles 1-3 hold only stopped customers, decile 4 mixes them.
    actual = np.linspace(1.0, 100.0, 100)
    stopped = np.zeros(100, dtype=bool)
    stopped[::3][:35] = True
    actual[stopped] = 0.0
    quiet = perfect_model_ceiling(actual, stopped, tie_orders=50)
    assert quiet["deciles_of_stopped_only"] == 3
    assert quiet["most_deciles_within"] == 10 and quiet["share_all_ten_within"] == 1.0

    # Each of 30 stopped customers spent (a campaign brought them back): every stopped-only decile
    # then holds one of them whatever the order of the tied zeros, so all three fail.
    revived = actual.copy()
    revived[np.flatnonzero(stopped)[:30]] = 5.0
    ceiling = perfect_model_ceiling(revived, stopped, tie_orders=50)
    assert ceiling["most_deciles_within"] == 7 and ceiling["share_all_ten_within"] == 0.0


def test_a_single_revived_customer_fails_one_decile_in_every_order():
    actual = np.zeros(40)
    actual[20:] = 10.0
    stopped = actual == 0
    actual[3] = 2.0
    ceiling = perfect_model_ceiling(actual, stopped, tie_orders=200, seed=1)
    assert ceiling["deciles_of_stopped_only"] == 5
    assert ceiling["most_deciles_within"] == 9 and ceiling["mean_deciles_within"] == 9.0


def test_platform_deciles_separate_campaign_spend_and_count_the_stopped():
    predicted = np.repeat(np.arange(1.0, 11.0), 10)
    campaign = np.where(predicted == 1.0, 3.0, 0.0)
    actual = predicted + campaign
    stopped = predicted <= 2.0
    table = platform_deciles(predicted, actual, campaign, stopped)
    first = table.set_index("decile").loc[1]
    assert first["actual"] == pytest.approx(4.0) and first["actual_without_campaigns"] == pytest.approx(1.0)
    assert first["relative_error"] == pytest.approx(-0.75)
    assert table["stopped_share"].tolist() == [1.0, 1.0] + [0.0] * 8


def test_cli_without_truth_says_so_in_one_line(isolated_settings, capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "no ground truth" in captured.err and "campaign_members.csv" in captured.err
