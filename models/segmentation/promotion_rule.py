"""When a segmentation challenger replaces the champion (applied by `models.promotion`).

Rule (both must hold, measured on the same evaluation sample in the challenger's scaled
space):
1. quality: challenger silhouette >= champion silhouette - `silhouette_tolerance`;
2. stability: adjusted Rand index between the two models' assignments >= `min_stability_ari`,
   so marketing audiences do not churn wholesale on a retrain.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from models.promotion import PromotionDecision

SILHOUETTE_TOLERANCE = 0.02
MIN_STABILITY_ARI = 0.5


def should_promote(
    challenger_silhouette: float,
    champion_silhouette: float,
    stability_ari: float,
    silhouette_tolerance: float = SILHOUETTE_TOLERANCE,
    min_stability_ari: float = MIN_STABILITY_ARI,
) -> PromotionDecision:
    """Apply the promotion rule of this module; pure."""
    floor = champion_silhouette - silhouette_tolerance
    if challenger_silhouette < floor:
        return PromotionDecision(
            False,
            f"silhouette {challenger_silhouette:.4f} < champion {champion_silhouette:.4f} - {silhouette_tolerance}",
        )
    if stability_ari < min_stability_ari:
        return PromotionDecision(False, f"stability ARI {stability_ari:.4f} < {min_stability_ari}")
    return PromotionDecision(
        True,
        f"silhouette {challenger_silhouette:.4f} >= {floor:.4f} and stability ARI {stability_ari:.4f} >= {min_stability_ari}",
    )


def stability_ari(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """Adjusted Rand index between two assignments of the same customers."""
    if len(labels_a) != len(labels_b):
        raise ValueError(f"assignments differ in length: {len(labels_a)} != {len(labels_b)}")
    if len(labels_a) == 0:
        return float("nan")
    return float(adjusted_rand_score(labels_a, labels_b))
