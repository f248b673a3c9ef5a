"""History checks of a silver suite: today's volume, null rates and means against a trailing baseline."""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from customer_platform.volume_rule import volume_bounds as shared_volume_bounds
from expectations.common import GateThresholds, critical, warning
from expectations.history import TableBaseline


def volume_bounds(mean_rows: float, thresholds: GateThresholds) -> tuple[int, int]:
    """Allowed row count for today: the shared volume rule with the gate's thresholds."""
    return shared_volume_bounds(
        mean_rows, thresholds.volume_min_ratio, thresholds.volume_max_ratio, thresholds.volume_noise_sigmas
    )


def history_expectations(baseline: TableBaseline, thresholds: GateThresholds) -> list[Expectation]:
    """Volume against the trailing mean (critical); null-rate and mean drift (warnings).

    The baseline measured the columns the rules chose (`SilverRules.null_drift`, `mean_drift`).
    """
    history_meta = {"check": "history", "baseline_days": list(baseline.days)}
    out: list[Expectation] = []
    if baseline.mean_rows > 0:
        low, high = volume_bounds(baseline.mean_rows, thresholds)
        # A feed of a few rows a day swings several-fold by chance: record, don't stop.
        severity = critical if baseline.mean_rows >= thresholds.volume_min_baseline_rows else warning
        out.append(
            severity(
                gxe.ExpectTableRowCountToBeBetween,
                min_value=low,
                max_value=high,
                meta={**history_meta, "check": "volume", "baseline_mean_rows": round(baseline.mean_rows, 3)},
            )
        )
    for column, rate in baseline.null_rates.items():
        allowed = min(1.0, rate + thresholds.null_rate_tolerance)
        if allowed >= 1.0:
            continue
        out.append(
            warning(
                gxe.ExpectColumnValuesToNotBeNull,
                column=column,
                mostly=round(1.0 - allowed, 6),
                meta={**history_meta, "check": "null_rate_drift", "baseline_null_rate": round(rate, 6)},
            )
        )
    for column, mean in baseline.means.items():
        if mean == 0:
            continue
        spread = abs(mean) * thresholds.mean_tolerance
        out.append(
            warning(
                gxe.ExpectColumnMeanToBeBetween,
                column=column,
                min_value=mean - spread,
                max_value=mean + spread,
                meta={**history_meta, "check": "mean_drift", "baseline_mean": round(mean, 6)},
            )
        )
    return out
