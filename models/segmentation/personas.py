"""Segment personas and stable segment ids.

A persona is a deterministic, human-readable name and one-line description computed from
the segment's centroid in original units relative to the population reference (the
median; the mean of the positive values when the median is 0, as it is for spend when most
contacts never bought; recency over buyers only). Names are unique per model. Segment ids survive retraining: new
centroids are matched to the previous model's centroids (Hungarian assignment in the new
model's scaled space) and inherit their ids.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

Centroid = Mapping[str, float]

#: Matches farther apart than this (scaled units, Euclidean) are different segments.
MAX_MATCH_DISTANCE = 3.0


def population_reference(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, float]:
    """Reference value per column: median, else mean of positives, else 1 (never 0).

    Recency's median is taken over customers with at least one order in the window.
    """
    reference = {}
    buyers = frame["frequency"] > 0 if "frequency" in frame else None
    for column in columns:
        values = frame[column].astype("float64")
        if column == "recency_days" and buyers is not None and buyers.any():
            # contacts who never ordered sit at the window-length sentinel; counted in, they
            # would make the median the sentinel itself and no segment could ever be "lapsing"
            values = values[buyers]
        median = float(values.median())
        positive = values[values > 0]
        reference[column] = median if median > 0 else (float(positive.mean()) if len(positive) else 1.0)
    return reference


def _ratio(centroid: Centroid, reference: Centroid, column: str) -> float:
    return float(centroid.get(column, 0.0)) / max(float(reference.get(column, 1.0)), 1e-9)


def spend(centroid: Centroid) -> float:
    """Spend in the window: `monetary` when the model has it, else orders x basket."""
    if "monetary" in centroid:
        return float(centroid["monetary"])
    return float(centroid.get("frequency", 0.0)) * float(centroid.get("avg_order_value", 0.0))


def _basket_ratio(centroid: Centroid, reference: Centroid, orders: float) -> float:
    """Order value against the reference: `avg_order_value`, else spend per order (older models)."""
    if "avg_order_value" in centroid:
        return _ratio(centroid, reference, "avg_order_value")
    if "monetary" in centroid:
        return _ratio(centroid, reference, "monetary") / max(orders, 1e-9)
    return 1.0


def base_name(centroid: Centroid, reference: Centroid, window_days: int = 365) -> str:
    """The persona family of a centroid, by the first rule that matches (order matters).

    Lapsing means late twice over: long ago against the population (three times the buyers'
    median recency, at least 90 days) and against the segment's own cadence (longer than
    the usual gap between its orders, window / frequency): a segment that buys twice a year
    is not lapsing four months after its last order.
    """
    frequency = float(centroid.get("frequency", 0.0))
    if frequency < 0.5:
        return "Window shoppers" if _ratio(centroid, reference, "sessions") >= 1.5 else "Dormant contacts"
    recency = float(centroid.get("recency_days", 0.0))
    if recency >= max(3 * reference.get("recency_days", 30.0), 90.0) and recency > window_days / frequency:
        return "Lapsing customers"
    if centroid.get("tenure_days", 1e9) <= min(0.25 * reference.get("tenure_days", 365.0), 120.0):
        return "New customers"
    if centroid.get("share_outlet", 0.0) >= 0.35:
        return "Bargain hunters"
    orders = _ratio(centroid, reference, "frequency")
    basket = _basket_ratio(centroid, reference, orders)
    if basket >= 1.5 and orders >= 1.5:
        return "High-value regulars"
    if basket >= 1.5:
        return "Big-basket buyers"
    if orders >= 1.5 and basket <= 0.67:
        return "Frequent small baskets"
    if orders >= 1.5:
        return "Regulars"
    if _ratio(centroid, reference, "sessions") >= 2:
        return "Active browsers"
    return "Occasional buyers"


# (column, label when high, label when low): qualifiers that tell same-named segments apart.
_TRAITS = (
    ("monetary", "big spenders", "small spenders"),
    ("avg_order_value", "big baskets", "small baskets"),
    ("sessions", "heavy browsers", "rarely online"),
    ("email_open_rate", "email fans", "email-quiet"),
    ("recency_days", "quiet lately", "recent"),
    ("tenure_days", "long-standing", "newer"),
    ("frequency", "frequent", "infrequent"),
    ("return_rate", "frequent returners", "rare returners"),
    ("share_main_channel", "main channel", "other channels"),
)


def strongest_trait(centroid: Centroid, reference: Centroid) -> str:
    """The qualifier of the centroid's most extreme feature (largest |log ratio|)."""
    scored = []
    for order, (column, high, low) in enumerate(_TRAITS):
        if column in centroid:
            log_ratio = float(np.log(max(_ratio(centroid, reference, column), 1e-6)))
            scored.append((-abs(log_ratio), order, high if log_ratio >= 0 else low))
    if not scored or -min(scored)[0] < 0.1:  # nothing stands out by more than ~10 %
        return "typical"
    return min(scored)[2]


def describe(centroid: Centroid, reference: Centroid, window_days: int) -> str:
    """One line in plain units: last order, orders per window, spend vs the median."""
    per = "a year" if window_days == 365 else f"per {window_days} days"
    frequency = float(centroid.get("frequency", 0.0))
    # Web and email activity only when the model has them (a source stands behind them):
    # a deployment without a clickstream has no sessions, not zero sessions.
    activity = ""
    if "sessions" in centroid:
        sessions = float(centroid["sessions"])
        activity += f", {sessions:.0f} web session{'' if round(sessions) == 1 else 's'}"
    if "email_open_rate" in centroid:
        activity += f", opens {float(centroid['email_open_rate']):.0%} of emails"
    if frequency < 0.5:
        return f"no recent orders ({frequency:.1f} {per}){activity}"
    orders = f"{frequency:.1f}" if frequency < 10 else f"{frequency:.0f}"
    if "avg_order_value" in centroid:
        value = f"baskets {_ratio(centroid, reference, 'avg_order_value'):.1f}× the median"
    else:
        value = f"spends {_ratio(centroid, reference, 'monetary'):.1f}× the median"
    return (
        f"last order {float(centroid.get('recency_days', 0.0)):.0f} days ago, {orders} orders {per}, "
        f"{value}{activity}"
    )


def name_personas(
    centroids: Sequence[Centroid],
    reference: Centroid,
    window_days: int,
    reserved: Collection[str] = frozenset(),
) -> list[tuple[str, str]]:
    """(name, description) per centroid; names unique, disambiguated deterministically.

    Same-named segments get their strongest trait as a qualifier; any name still shared
    gets a number in order of descending spend. reserved: names taken by other segments
    (the lifecycle ones): a persona with such a name is qualified the same way.
    """
    names = [base_name(c, reference, window_days) for c in centroids]
    names = [
        f"{n} ({strongest_trait(c, reference)})" if n in reserved else n
        for n, c in zip(names, centroids, strict=True)
    ]
    for name in set(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) > 1:
            for i in group:
                names[i] = f"{name} ({strongest_trait(centroids[i], reference)})"
    for name in sorted(set(names)):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) > 1:
            by_spend = sorted(group, key=lambda i: (-spend(centroids[i]), i))
            for rank, i in enumerate(by_spend, start=1):
                names[i] = f"{name} {rank}"
    return [(names[i], describe(c, reference, window_days)) for i, c in enumerate(centroids)]


def initial_segment_ids(centroids: Sequence[Centroid]) -> list[int]:
    """Ids for a first model: 0 for the highest-spending segment, then descending spend."""
    order = sorted(range(len(centroids)), key=lambda i: (-spend(centroids[i]), i))
    ids = [0] * len(centroids)
    for segment_id, i in enumerate(order):
        ids[i] = segment_id
    return ids


def match_segment_ids(
    new_scaled: np.ndarray,
    previous_scaled: np.ndarray,
    previous_ids: Sequence[int],
    new_centroids: Sequence[Centroid],
    max_distance: float = MAX_MATCH_DISTANCE,
) -> list[int]:
    """Reuse previous ids for matching centroids; fresh ids (after the largest) for the rest.

    Both centroid arrays must be in the same (the new model's) scaled space. Pairs come
    from a minimum-total-distance assignment; pairs farther than `max_distance` are not
    matches. Unmatched new segments are numbered in order of descending spend.
    """
    ids: list[int | None] = [None] * len(new_scaled)
    if len(previous_scaled):
        cost = np.linalg.norm(new_scaled[:, None, :] - previous_scaled[None, :, :], axis=2)
        for new_i, prev_i in zip(*linear_sum_assignment(cost), strict=True):
            if cost[new_i, prev_i] <= max_distance:
                ids[new_i] = int(previous_ids[prev_i])
    next_id = max(previous_ids, default=-1) + 1
    unmatched = sorted(
        (i for i, v in enumerate(ids) if v is None),
        key=lambda i: (-spend(new_centroids[i]), i),
    )
    for i in unmatched:
        ids[i] = next_id
        next_id += 1
    return [int(v) for v in ids if v is not None]
