"""The segmentation promotion rule is a pure function: it both promotes and refuses."""

from __future__ import annotations

import numpy as np
import pytest

from models.segmentation.promotion_rule import should_promote, stability_ari


def test_promotes_when_quality_holds_and_assignments_are_stable():
    decision = should_promote(challenger_silhouette=0.50, champion_silhouette=0.51, stability_ari=0.8)
    assert decision.promote
    assert "stability ARI" in decision.reason


def test_tolerance_boundary_is_inclusive():
    assert should_promote(0.48, 0.50, 0.5, silhouette_tolerance=0.02).promote


def test_refuses_a_worse_silhouette():
    decision = should_promote(challenger_silhouette=0.45, champion_silhouette=0.50, stability_ari=0.95)
    assert not decision.promote
    assert "silhouette" in decision.reason


def test_refuses_unstable_assignments_even_when_better():
    decision = should_promote(challenger_silhouette=0.70, champion_silhouette=0.50, stability_ari=0.3)
    assert not decision.promote
    assert "stability" in decision.reason


def test_stability_ari_ignores_label_names():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert stability_ari(a, np.array([5, 5, 3, 3, 9, 9])) == pytest.approx(1.0)
    assert stability_ari(a, np.array([0, 1, 0, 1, 0, 1])) < 0.5
    with pytest.raises(ValueError):
        stability_ari(a, a[:3])
