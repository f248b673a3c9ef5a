"""Suite `silver.demographics`: third-party enrichment, one row per `email_sha256`."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import SHA256_REGEX, GateThresholds, critical, parse_logical_date, warning
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite

AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
INCOME_BANDS = ["low", "medium", "high"]
REGION_TYPES = ["urban", "suburban", "rural"]


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [
        critical(gxe.ExpectColumnValuesToMatchRegex, column="email_sha256", regex=SHA256_REGEX),
        warning(gxe.ExpectColumnValuesToBeInSet, column="age_band", value_set=AGE_BANDS),
        warning(gxe.ExpectColumnValuesToBeInSet, column="income_band", value_set=INCOME_BANDS),
        warning(gxe.ExpectColumnValuesToBeInSet, column="region_type", value_set=REGION_TYPES),
        warning(gxe.ExpectColumnValuesToBeBetween, column="household_size", min_value=1, max_value=20),
    ]


SPEC = SilverTableSpec(
    table="demographics",
    source="demographics",
    columns=("email_sha256", "age_band", "income_band", "household_size", "has_children", "region_type"),
    natural_key=("email_sha256",),
    required=("email_sha256",),
    null_drift=("age_band", "income_band"),
    mean_drift=("household_size",),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.demographics` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
