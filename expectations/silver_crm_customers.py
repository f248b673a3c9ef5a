"""Suite `silver.crm_customers`: CRM contacts, one row per `customer_id` per ingest date."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import COUNTRY_CODE_REGEX, SHA256_REGEX, GateThresholds, parse_logical_date, warning
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [
        warning(gxe.ExpectColumnValuesToMatchRegex, column="email_sha256", regex=SHA256_REGEX),
        warning(gxe.ExpectColumnValuesToMatchRegex, column="country_code", regex=COUNTRY_CODE_REGEX),
        warning(
            gxe.ExpectColumnValuesToBeBetween,
            column="birth_date",
            min_value=date(1900, 1, 1),
            max_value=logical_date,
        ),
        warning(gxe.ExpectColumnValuesToNotBeNull, column="has_marketing_consent"),
        warning(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="updated_at",
            column_B="created_at",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
    ]


SPEC = SilverTableSpec(
    table="crm_customers",
    source="crm_customers",
    columns=(
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "email_hash",
        "email_sha256",
        "phone",
        "phone_hash",
        "birth_date",
        "postcode",
        "city",
        "country_code",
        "loyalty_id",
        "has_marketing_consent",
        "created_at",
        "updated_at",
    ),
    natural_key=("customer_id",),
    required=("customer_id", "updated_at"),
    timestamps=("created_at", "updated_at"),
    emails=("email",),
    phones=("phone",),
    null_drift=("email", "phone", "birth_date"),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.crm_customers` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
