"""Promotion gating shared by every family: first version, the family's verdict, switched off."""

from __future__ import annotations

from models.promotion import PromotionDecision, decide_promotion

PASS = PromotionDecision(True, "rule holds")
FAIL = PromotionDecision(False, "rule fails")


def test_first_version_is_promoted_even_when_promotion_is_off():
    for allowed in (True, False):
        decision = decide_promotion(None, allowed=allowed)
        assert decision.promote and "first version" in decision.reason


def test_the_family_verdict_decides_when_promotion_is_on():
    assert decide_promotion(PASS) is PASS
    assert decide_promotion(FAIL) is FAIL


def test_switched_off_holds_an_eligible_version_and_says_why():
    decision = decide_promotion(PASS, allowed=False)
    assert not decision.promote
    assert decision.reason == "eligible but promotion disabled (rule holds)"
    assert decide_promotion(FAIL, allowed=False) is FAIL
