"""The shape every silver suite shares: contract columns, keys, formats, recency and history."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import (
    E164_REGEX,
    EMAIL_REGEX,
    LINEAGE_COLUMNS,
    GateThresholds,
    critical,
    future_cutoff,
    new_suite,
    warning,
)
from expectations.history import TableBaseline

ExtraExpectations = Callable[[date, GateThresholds], list[Expectation]]


@dataclass(frozen=True)
class SilverTableSpec:
    """What docs/contracts.md promises about one silver table."""

    table: str
    source: str
    columns: tuple[str, ...]
    natural_key: tuple[str, ...]
    required: tuple[str, ...]
    timestamps: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    null_drift: tuple[str, ...] = ()
    mean_drift: tuple[str, ...] = ()
    #: The table's first partition is an initial load (CRM: every contact; orders: a year of
    #: history), so it is no baseline for the daily increments that follow it.
    first_partition_is_initial_load: bool = True
    extra: ExtraExpectations | None = field(default=None, compare=False)

    @property
    def suite_name(self) -> str:
        return f"silver.{self.table}"


def build_silver_suite(
    spec: SilverTableSpec,
    logical_date: date,
    baseline: TableBaseline | None = None,
    thresholds: GateThresholds | None = None,
) -> gx.ExpectationSuite:
    """Suite for one silver table and logical date; history checks only when `baseline` is given."""
    thresholds = thresholds or GateThresholds()
    expectations = contract_expectations(spec, logical_date, thresholds)
    if spec.extra is not None:
        expectations += spec.extra(logical_date, thresholds)
    if baseline is not None:
        expectations += history_expectations(spec, baseline, thresholds)
    return new_suite(
        spec.suite_name,
        expectations,
        table=spec.table,
        source=spec.source,
        logical_date=str(logical_date),
        baseline=baseline.describe() if baseline else None,
    )


def contract_expectations(
    spec: SilverTableSpec, logical_date: date, thresholds: GateThresholds
) -> list[Expectation]:
    """Columns exist, required values present, key unique, formats valid, nothing from the future."""
    out: list[Expectation] = [
        critical(gxe.ExpectColumnToExist, column=c) for c in (*spec.columns, *LINEAGE_COLUMNS)
    ]
    out += [critical(gxe.ExpectColumnValuesToNotBeNull, column=c) for c in (*spec.required, "_ingest_date")]
    if len(spec.natural_key) == 1:
        out.append(critical(gxe.ExpectColumnValuesToBeUnique, column=spec.natural_key[0]))
    else:
        out.append(critical(gxe.ExpectCompoundColumnsToBeUnique, column_list=list(spec.natural_key)))
    out += [
        critical(
            gxe.ExpectColumnValuesToMatchRegex, column=c, regex=EMAIL_REGEX, mostly=thresholds.format_mostly
        )
        for c in spec.emails
    ]
    out += [
        critical(
            gxe.ExpectColumnValuesToMatchRegex, column=c, regex=E164_REGEX, mostly=thresholds.format_mostly
        )
        for c in spec.phones
    ]
    cutoff = future_cutoff(logical_date)
    out += [critical(gxe.ExpectColumnValuesToBeBetween, column=c, max_value=cutoff) for c in spec.timestamps]
    out.append(
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="_ingest_date",
            min_value=logical_date,
            max_value=logical_date,
        )
    )
    return out


def volume_bounds(mean_rows: float, thresholds: GateThresholds) -> tuple[int, int]:
    """Allowed row count for today: the ratio band, widened by Poisson noise on small feeds.

    A feed of ~10 rows a day legitimately doubles from one day to the next; the band is
    never narrower than `volume_noise_sigmas` standard deviations (sqrt of the mean).
    """
    noise = thresholds.volume_noise_sigmas * math.sqrt(mean_rows)
    low = min(mean_rows * thresholds.volume_min_ratio, mean_rows - noise)
    high = max(mean_rows * thresholds.volume_max_ratio, mean_rows + noise)
    return max(0, math.ceil(low)), math.floor(high)


def history_expectations(
    spec: SilverTableSpec, baseline: TableBaseline, thresholds: GateThresholds
) -> list[Expectation]:
    """Volume against the trailing mean (critical); null-rate and mean drift (warnings)."""
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
