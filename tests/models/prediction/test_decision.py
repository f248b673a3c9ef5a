"""The churn / value decision in words: the rule's score, and the scores a loser did better on."""

from __future__ import annotations

from models.prediction.decision import explain_lowest


def test_the_explanation_names_the_rule_and_what_the_loser_did_better():
    scores = {
        "hist_gradient_boosting": {"log_loss": 0.41, "roc_auc": 0.80, "brier": 0.13, "positive_rate": 0.3},
        "random_forest": {"log_loss": 0.45, "roc_auc": 0.82, "brier": 0.14, "positive_rate": 0.3},
    }
    text = explain_lowest(scores, "log_loss", "hist_gradient_boosting", "Log loss is proper.")
    assert text.startswith("**hist_gradient_boosting** was chosen: the lowest log_loss (0.4100) of 2")
    loser = next(line for line in text.splitlines() if line.startswith("- random_forest"))
    assert "roc_auc 0.8200 against 0.8000" in loser
    assert "brier" not in loser and "positive_rate" not in loser  # worse, or not a score


def test_a_loser_better_on_nothing_gets_no_excuse():
    scores = {
        "a": {"spend_mae": 10.0, "normalized_gini": 0.6},
        "b": {"spend_mae": 12.0, "normalized_gini": 0.5},
    }
    text = explain_lowest(scores, "spend_mae", "a", "MAE is money.")
    assert "- b: spend_mae 12.0000." in text
