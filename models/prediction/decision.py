"""Why a predictive model's candidate won: the decision in words, logged beside the candidates table.

Churn and lifetime value each choose the candidate with the lowest value of one validation
score (churn: log loss, value: holdout spend MAE). The explanation names that rule, the
scores, and every other score on which a losing candidate did better, so a reader sees why a
candidate with, say, a higher ROC AUC did not win. Logged as `report/selection_decision.md`
and the run tag `selection_explanation`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import mlflow

DECISION_MD = "selection_decision.md"
#: The scores compared, and whether higher is better (counts and totals are not scores).
SCORE_DIRECTION = {
    "roc_auc": "higher",
    "pr_auc": "higher",
    "normalized_gini": "higher",
    "deciles_within_20pct": "higher",
    "log_loss": "lower",
    "brier": "lower",
    "spend_mae": "lower",
    "orders_mae": "lower",
    "max_decile_relative_error": "lower",
}


def _better(metric: str, mine: float, theirs: float) -> bool:
    return theirs > mine if SCORE_DIRECTION[metric] == "higher" else theirs < mine


def explain_lowest(
    scores: Mapping[str, Mapping[str, float]], rule_metric: str, chosen: str, why_rule: str
) -> str:
    """Markdown: `chosen` has the lowest `rule_metric` among `scores` (candidate -> metrics).

    why_rule: one sentence on why that score decides.
    """
    winner = scores[chosen]
    lines = [
        f"**{chosen}** was chosen: the lowest {rule_metric} ({winner[rule_metric]:.4f}) of "
        f"{len(scores)} candidates. {why_rule}",
        "",
    ]
    for name, metrics in scores.items():
        if name == chosen:
            continue
        better = [
            f"{m} {metrics[m]:.4f} against {winner[m]:.4f}"
            for m in sorted(set(metrics) & set(winner) & set(SCORE_DIRECTION))
            if m != rule_metric and _better(m, winner[m], metrics[m])
        ]
        lead = (
            f"; it scored better on {', '.join(better)}, which the rule does not decide on" if better else ""
        )
        lines.append(f"- {name}: {rule_metric} {metrics[rule_metric]:.4f}{lead}.")
    return "\n".join(lines) + "\n"


def log_decision(explanation: str) -> None:
    """Log `explanation` to the active run as `report/selection_decision.md` and as a tag."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / DECISION_MD).write_text(explanation, encoding="utf-8")
        mlflow.log_artifacts(tmp, artifact_path="report")
    mlflow.set_tag("selection_explanation", explanation[:5000])
