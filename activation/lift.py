"""Lift statistics of a campaign: treatment against holdout, with 95 % intervals and p-values; pure.

Conversion: the difference of two proportions with a Wald (unpooled) interval, the relative
lift's interval from the log risk ratio (delta method), and the two-sided p-value of the
pooled two-proportion z-test. Revenue per member: Welch's t-test (unequal variances), its
interval on the difference of means. Below `MIN_GROUP_SIZE` members or `MIN_CONVERSIONS`
conversions in a group the normal approximations are rough: the result carries a warning.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm, ttest_ind

Z95 = float(norm.ppf(0.975))
MIN_GROUP_SIZE = 100
MIN_CONVERSIONS = 10


def conversion_lift(conv_t: int, n_t: int, conv_h: int, n_h: int) -> dict[str, float]:
    """Rates, absolute and relative lift with 95 % intervals, and the p-value; NaN where undefined."""
    nan = float("nan")
    if n_t == 0 or n_h == 0:
        return dict.fromkeys(
            ("treatment_rate", "holdout_rate", "lift_abs", "lift_abs_low", "lift_abs_high",
             "lift_rel", "lift_rel_low", "lift_rel_high", "p_value"), nan,
        )  # fmt: skip
    p_t, p_h = conv_t / n_t, conv_h / n_h
    diff = p_t - p_h
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_h * (1 - p_h) / n_h)
    pooled = (conv_t + conv_h) / (n_t + n_h)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_h))
    p_value = float(2 * norm.sf(abs(diff) / se_pooled)) if se_pooled > 0 else nan
    if conv_t > 0 and conv_h > 0:
        log_rr = math.log(p_t / p_h)
        se_log = math.sqrt((1 - p_t) / conv_t + (1 - p_h) / conv_h)
        rel, rel_low, rel_high = (math.exp(log_rr + k * se_log) - 1 for k in (0, -Z95, Z95))
    else:
        rel = rel_low = rel_high = nan
    return {
        "treatment_rate": p_t, "holdout_rate": p_h, "lift_abs": diff,
        "lift_abs_low": diff - Z95 * se, "lift_abs_high": diff + Z95 * se,
        "lift_rel": rel, "lift_rel_low": rel_low, "lift_rel_high": rel_high, "p_value": p_value,
    }  # fmt: skip


def revenue_lift(treatment: np.ndarray, holdout: np.ndarray) -> dict[str, float]:
    """Mean revenue per member in each group, their difference with Welch's 95 % interval and p-value."""
    t, h = np.asarray(treatment, dtype=float), np.asarray(holdout, dtype=float)
    nan = float("nan")
    out = {
        "treatment_mean": float(t.mean()) if len(t) else nan,
        "holdout_mean": float(h.mean()) if len(h) else nan,
    }
    if len(t) < 2 or len(h) < 2 or (t.var() == 0 and h.var() == 0):
        diff = out["treatment_mean"] - out["holdout_mean"]
        return out | {"lift_abs": diff, "lift_abs_low": nan, "lift_abs_high": nan, "p_value": nan}
    test = ttest_ind(t, h, equal_var=False)
    interval = test.confidence_interval(0.95)
    return out | {
        "lift_abs": out["treatment_mean"] - out["holdout_mean"],
        "lift_abs_low": float(interval.low),
        "lift_abs_high": float(interval.high),
        "p_value": float(test.pvalue),
    }


def sample_warning(n_t: int, n_h: int, conv_t: int, conv_h: int) -> str:
    """A warning when a group is too small for the intervals to be trusted; empty otherwise."""
    problems = []
    if min(n_t, n_h) < MIN_GROUP_SIZE:
        problems.append(f"fewer than {MIN_GROUP_SIZE} members in a group ({n_t} treatment, {n_h} holdout)")
    if min(conv_t, conv_h) < MIN_CONVERSIONS:
        problems.append(
            f"fewer than {MIN_CONVERSIONS} conversions in a group ({conv_t} treatment, {conv_h} holdout)"
        )
    return "small sample: " + "; ".join(problems) if problems else ""
