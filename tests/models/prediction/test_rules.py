"""Pure rules of the prediction family: observation dates, promotion, metrics, bands, feature choice."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from customer_platform.config import reload_settings
from models.prediction.churn import (
    ChurnConfig,
    InsufficientHistoryError,
    features_with_data,
    fit_candidates,
    plan_observation_dates,
)
from models.prediction.clv import CHURN_EVIDENCE, PEER_GROUPS, PLAIN, ValueParameters, alive_scale
from models.prediction.evaluation import (
    decile_of,
    is_monotone,
    lift_table,
    normalized_gini,
    value_decile_table,
)
from models.prediction.explain import feature_label, shap_method, top_drivers
from models.prediction.peer_groups import find_peer_groups, peer_group_of
from models.prediction.promotion_rule import should_promote_churn, should_promote_value
from models.prediction.tables import risk_band

L = dt.date(2026, 6, 30)


def test_training_labels_end_before_the_validation_labels_begin():
    plan = plan_observation_dates(
        L, dt.date(2025, 6, 1), ChurnConfig(horizon_days=90, training_dates=4, step_days=30)
    )
    assert plan.validation_date == dt.date(2026, 4, 1)
    assert all(d + dt.timedelta(days=90) <= plan.validation_date for d in plan.training_dates)
    assert plan.training_dates == (
        dt.date(2026, 1, 1),
        dt.date(2025, 12, 2),
        dt.date(2025, 11, 2),
        dt.date(2025, 10, 3),
    )


def test_dates_without_enough_history_are_dropped_and_none_left_is_an_error():
    config = ChurnConfig(horizon_days=90, training_dates=4, step_days=30, min_history_days=60)
    plan = plan_observation_dates(L, dt.date(2025, 10, 1), config)
    assert plan.training_dates == (dt.date(2026, 1, 1), dt.date(2025, 12, 2))
    with pytest.raises(InsufficientHistoryError, match="first purchase: 2026-03-01"):
        plan_observation_dates(L, dt.date(2026, 3, 1), config)
    with pytest.raises(InsufficientHistoryError, match="first purchase: none"):
        plan_observation_dates(L, None, config)


def test_churn_promotion_refuses_worse_ranking_or_calibration():
    champion = {"roc_auc": 0.85, "brier": 0.15}
    assert should_promote_churn({"roc_auc": 0.845, "brier": 0.152}, champion).promote
    worse_auc = should_promote_churn({"roc_auc": 0.80, "brier": 0.10}, champion)
    assert not worse_auc.promote and "ROC-AUC 0.8000 < champion 0.8500" in worse_auc.reason
    worse_brier = should_promote_churn({"roc_auc": 0.90, "brier": 0.20}, champion)
    assert not worse_brier.promote and "Brier" in worse_brier.reason
    assert not should_promote_churn({"roc_auc": float("nan"), "brier": 0.1}, champion).promote


def test_value_promotion_refuses_a_lower_gini():
    assert should_promote_value(0.70, 0.71).promote
    assert not should_promote_value(0.60, 0.71).promote


def test_normalized_gini_is_one_for_a_perfect_order_and_near_zero_for_noise():
    rng = np.random.default_rng(0)
    actual = rng.gamma(1.0, 50.0, 5000)
    assert normalized_gini(actual, actual) == pytest.approx(1.0)
    assert normalized_gini(actual, -actual) < -0.9
    assert abs(normalized_gini(actual, rng.random(5000))) < 0.05


def test_deciles_are_equal_sized_and_tables_read_them():
    score = np.linspace(0, 1, 1000)
    deciles = decile_of(score)
    assert np.bincount(deciles)[1:].tolist() == [100] * 10 and deciles[0] == 1 and deciles[-1] == 10
    y = (score > 0.5).astype(int)
    lift = lift_table(y, score)
    assert lift["decile"].tolist()[0] == 10 and lift["lift"].iloc[0] == pytest.approx(2.0)
    table = value_decile_table(score * 10, score * 10)
    assert table["relative_error"].fillna(0).abs().max() == pytest.approx(0.0)
    assert is_monotone(np.array([0.1, 0.2, 0.2, 0.5])) and not is_monotone(np.array([0.3, 0.2]))


def test_risk_bands_follow_the_threshold():
    bands = risk_band(np.array([0.1, 0.36, 0.71, 0.70]), 0.70)
    assert bands.tolist() == ["low", "medium", "high", "medium"]


def test_features_without_data_on_the_training_dates_are_left_out_with_why():
    train = pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan], "c": [3.0, 3.0]})
    kept, left_out = features_with_data(train, ["a", "b", "c"])
    assert kept == ("a",)
    assert "null" in left_out["b"] and "constant" in left_out["c"]


def test_drivers_are_only_what_raises_the_risk_in_plain_words():
    customers = pd.DataFrame(
        {"unified_customer_id": ["x", "y"], "recency_days": [200.0, 5.0], "purchases": [1.0, 9.0]}
    )
    shap_values = np.array([[0.8, 0.1], [-0.2, -0.1]])
    drivers = top_drivers(
        customers,
        shap_values,
        ["recency_days", "purchases"],
        pd.Series({"recency_days": 30.0, "purchases": 4.0}),
    )
    assert drivers["unified_customer_id"].tolist() == ["x", "x"]
    assert drivers.iloc[0]["driver_text"] == "Days since the last purchase: 200 (typical 30)"
    assert feature_label("some_new_column") == "some new column"


def test_churn_settings_are_checked_and_named(monkeypatch):
    monkeypatch.setenv("CDP_AT_RISK_THRESHOLD", "1.5")
    with pytest.raises(ValueError, match="CDP_AT_RISK_THRESHOLD"):
        reload_settings()
    monkeypatch.setenv("CDP_AT_RISK_THRESHOLD", "0.6")
    monkeypatch.setenv("CDP_CHURN_HORIZON_DAYS", "3")
    with pytest.raises(ValueError, match="CDP_CHURN_HORIZON_DAYS"):
        reload_settings()
    monkeypatch.undo()
    reload_settings()


def test_too_few_churners_to_learn_from_is_named_not_a_crash():
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"recency_days": rng.random(60), "churned": [1] * 5 + [0] * 55})
    config = ChurnConfig(features=("recency_days",))
    with pytest.raises(InsufficientHistoryError, match="found 5 and 55"):
        fit_candidates(train, train, config, seed=1)


def test_exact_shap_within_its_budget_and_the_approximation_beyond():
    assert shap_method(2_000, 1_856, 13) == "exact"  # gradient boosting on the demo
    assert shap_method(600_000, 150_000, 10) == "approximate"  # a random forest on a million at risk


def test_churn_evidence_keeps_btyd_where_they_agree_and_never_exceeds_certainty():
    p_alive = np.array([0.9, 0.5, 0.2, 0.8, 0.6])
    p_none = np.array([0.3, 0.7, 0.9, 1.0, 0.5])
    assert alive_scale(p_alive, p_none, p_none) == pytest.approx(np.ones(5))
    surer_gone = alive_scale(p_alive, p_none, np.clip(p_none + 0.1, 0, 1))
    assert (surer_gone[:3] < 1).all() and surer_gone[3] == 1.0  # BG/NBD's P0 = 1: its figures kept
    assert (p_alive * alive_scale(p_alive, p_none, np.zeros(5)) <= 1.0).all()
    assert alive_scale(p_alive, p_none, np.ones(5))[:3] == pytest.approx(np.zeros(3))
    with pytest.raises(ValueError, match="churn_probability"):
        alive_scale(p_alive, p_none, np.array([0.1, np.nan, 0.2, 0.3, 0.4]))


def test_value_parameters_name_a_bad_candidate():
    with pytest.raises(ValueError, match="unknown value candidate 'pareto'"):
        ValueParameters({}, {}, "pareto")
    with pytest.raises(ValueError, match="evidence_horizon_days"):
        ValueParameters({}, {}, CHURN_EVIDENCE)
    assert not ValueParameters({}, {}).uses_churn and ValueParameters({}, {}).candidate == PLAIN


def test_value_deciles_carry_the_standard_error_and_agree_on_zero():
    predicted = np.r_[np.zeros(10), np.arange(1, 91, dtype=float)]
    actual = np.r_[np.zeros(10), np.arange(1, 91, dtype=float) * 1.1]
    table = value_decile_table(actual, predicted).set_index("decile")
    assert table.loc[1, "relative_error"] == 0.0  # nothing predicted, nothing spent
    assert table.loc[10, "relative_error"] == pytest.approx(1 / 1.1 - 1)
    expected_se = np.std(actual[90:], ddof=1) / np.sqrt(10)
    assert table.loc[10, "actual_standard_error"] == pytest.approx(expected_se)


def _spend_summary(spends: list[float], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spend = np.concatenate([np.exp(rng.normal(np.log(s), 0.3, 300)) for s in spends])
    return pd.DataFrame({"frequency": np.ones(len(spend)), "monetary_value": spend})


def test_peer_groups_separate_distinct_spend_levels_by_bic_and_number_from_the_lowest():
    summary = _spend_summary([20.0, 500.0])
    groups = find_peer_groups(summary, seed=42, min_repeat_buyers=20)
    assert len(groups) == 2
    assert np.exp(groups[0]["log_spend_mean"]) == pytest.approx(20.0, rel=0.1)
    assert np.exp(groups[1]["log_spend_mean"]) == pytest.approx(500.0, rel=0.1)
    labels = peer_group_of(summary, groups)
    assert (labels[:300] == 0).all() and (labels[300:] == 1).all()
    one_level = find_peer_groups(_spend_summary([40.0]), seed=42, min_repeat_buyers=20)
    assert len(one_level) == 1  # BIC finds no second level where there is none


def test_peer_groups_keep_enough_repeat_buyers_for_their_own_fit():
    summary = _spend_summary([20.0, 500.0]).assign(frequency=np.r_[np.ones(300), np.zeros(290), np.ones(10)])
    assert len(find_peer_groups(summary, seed=42, min_repeat_buyers=20)) == 1  # 10 repeat buyers cannot fit
    assert len(find_peer_groups(summary, seed=42, min_repeat_buyers=10)) == 2


def test_the_peer_group_candidate_needs_its_groups_and_the_churn_model():
    with pytest.raises(ValueError, match="peer_groups"):
        ValueParameters({}, {}, PEER_GROUPS, 90)
    group = {"log_spend_mean": 3.0, "log_spend_sd": 1.0, "weight": 1.0, "purchases": {}, "spend": {}}
    parameters = ValueParameters({}, {}, PLAIN, 0, (group,)).as_candidate(PEER_GROUPS, 90)
    assert parameters.uses_churn and parameters.evidence_horizon_days == 90
    assert parameters.as_candidate(PLAIN, 90).peer_groups == (group,)
