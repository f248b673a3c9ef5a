"""Promotion for every model family: the decision's shape, its gating, and moving the aliases.

Each family supplies its own rule (segmentation: `models.segmentation.promotion_rule`)
comparing a challenger with the champion; this module decides what happens around it
(the first version always becomes champion; promotion can be switched off) and applies
the outcome to the registry's aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient

from models.registry import CHALLENGER, CHAMPION, clear_alias, set_alias


@dataclass(frozen=True)
class PromotionDecision:
    """Outcome of a promotion rule, with the reason in words for logs and MLflow tags."""

    promote: bool
    reason: str


def decide_promotion(rule_decision: PromotionDecision | None, allowed: bool = True) -> PromotionDecision:
    """The decision for a newly registered version; pure.

    rule_decision: the family rule's verdict against the champion, None when there is no
    champion yet (the first version is promoted whatever `allowed` says). allowed: False
    registers an eligible version as challenger only.
    """
    if rule_decision is None:
        return PromotionDecision(True, "first version: no champion yet")
    if not allowed and rule_decision.promote:
        return PromotionDecision(False, f"eligible but promotion disabled ({rule_decision.reason})")
    return rule_decision


def apply_promotion(model_name: str, version: str, decision: PromotionDecision) -> None:
    """Promoted: `version` becomes champion and the challenger alias is cleared; else it is the challenger.

    The version carries the decision as tags (`promotion_decision`, `promotion_reason`).
    """
    client = MlflowClient()
    outcome = f"promoted to {CHAMPION}" if decision.promote else f"kept as {CHALLENGER}"
    client.set_model_version_tag(model_name, version, "promotion_decision", outcome)
    client.set_model_version_tag(model_name, version, "promotion_reason", decision.reason)
    if decision.promote:
        set_alias(CHAMPION, version, model_name)
        clear_alias(CHALLENGER, model_name)
    else:
        set_alias(CHALLENGER, version, model_name)
