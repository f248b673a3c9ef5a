"""When a churn or lifetime-value challenger replaces its champion (applied by `models.promotion`).

Both models are scored on the challenger's own validation data (the churn validation date;
the value model's holdout), so the comparison is like for like. Churn (both must hold):
1. ranking: challenger ROC-AUC >= champion ROC-AUC - `AUC_TOLERANCE`;
2. calibration: challenger Brier score <= champion Brier score + `BRIER_TOLERANCE`
   (the At-Risk threshold reads probabilities, so calibration must not get worse).
Value: challenger normalized Gini >= champion Gini - `GINI_TOLERANCE`.
Both families register the model they validated, fitted on data up to their validation date:
a champion trained on an earlier logical date never saw the challenger's validation labels,
so the comparison is on data neither was fitted on.
"""

from __future__ import annotations

from models.promotion import PromotionDecision

AUC_TOLERANCE = 0.01
BRIER_TOLERANCE = 0.005
GINI_TOLERANCE = 0.02


def should_promote_churn(challenger: dict[str, float], champion: dict[str, float]) -> PromotionDecision:
    """Apply the churn rule to two metric dicts (`roc_auc`, `brier`); pure."""
    auc_floor = champion["roc_auc"] - AUC_TOLERANCE
    if not challenger["roc_auc"] >= auc_floor:
        return PromotionDecision(
            False,
            f"ROC-AUC {challenger['roc_auc']:.4f} < champion {champion['roc_auc']:.4f} - {AUC_TOLERANCE}",
        )
    brier_ceiling = champion["brier"] + BRIER_TOLERANCE
    if not challenger["brier"] <= brier_ceiling:
        return PromotionDecision(
            False, f"Brier {challenger['brier']:.4f} > champion {champion['brier']:.4f} + {BRIER_TOLERANCE}"
        )
    return PromotionDecision(
        True,
        f"ROC-AUC {challenger['roc_auc']:.4f} >= {auc_floor:.4f} and Brier {challenger['brier']:.4f} <= {brier_ceiling:.4f}",
    )


def should_promote_value(challenger_gini: float, champion_gini: float) -> PromotionDecision:
    """Apply the value rule to two holdout normalized Ginis; pure."""
    floor = champion_gini - GINI_TOLERANCE
    if not challenger_gini >= floor:
        return PromotionDecision(
            False, f"normalized Gini {challenger_gini:.4f} < champion {champion_gini:.4f} - {GINI_TOLERANCE}"
        )
    return PromotionDecision(True, f"normalized Gini {challenger_gini:.4f} >= {floor:.4f}")
