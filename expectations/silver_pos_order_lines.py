"""Suite `silver.pos_order_lines`: till lines, one row per (`transaction_id`, `line_number`)."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import SHA256_REGEX, GateThresholds, critical, parse_logical_date, warning
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite
from expectations.silver_web_order_lines import amount_expectations


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [
        critical(gxe.ExpectColumnValuesToBeBetween, column="line_number", min_value=1),
        warning(gxe.ExpectColumnValuesToMatchRegex, column="email_sha256", regex=SHA256_REGEX),
        *amount_expectations(thresholds),
    ]


SPEC = SilverTableSpec(
    table="pos_order_lines",
    source="pos_orders",
    columns=(
        "transaction_id",
        "line_number",
        "store_id",
        "loyalty_id",
        "email",
        "email_hash",
        "email_sha256",
        "transacted_at",
        "sku",
        "category",
        "quantity",
        "unit_price",
        "currency",
        "line_amount",
        "is_return",
    ),
    natural_key=("transaction_id", "line_number"),
    required=(
        "transaction_id",
        "line_number",
        "transacted_at",
        "sku",
        "quantity",
        "unit_price",
        "currency",
        "line_amount",
    ),
    timestamps=("transacted_at",),
    emails=("email",),
    null_drift=("email", "loyalty_id", "store_id"),
    mean_drift=("line_amount", "quantity"),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.pos_order_lines` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
