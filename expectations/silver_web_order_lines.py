"""Suite `silver.web_order_lines`: web-shop order lines, one row per (`order_id`, `line_number`)."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import GateThresholds, critical, parse_logical_date, warning
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite

ORDER_STATUSES = ["completed", "cancelled", "returned"]
CURRENCIES = ["GBP", "EUR", "USD"]


def amount_expectations(thresholds: GateThresholds) -> list[Expectation]:
    """Prices strictly positive and bounded, quantities non-zero, line amounts bounded (order lines)."""
    return [
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="unit_price",
            min_value=0,
            max_value=thresholds.max_unit_price,
            strict_min=True,
        ),
        critical(gxe.ExpectColumnValuesToNotBeInSet, column="quantity", value_set=[0]),
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="line_amount",
            min_value=-thresholds.max_abs_line_amount,
            max_value=thresholds.max_abs_line_amount,
        ),
        warning(gxe.ExpectColumnValuesToBeInSet, column="currency", value_set=CURRENCIES),
    ]


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [
        critical(gxe.ExpectColumnValuesToBeInSet, column="order_status", value_set=ORDER_STATUSES),
        critical(gxe.ExpectColumnValuesToBeBetween, column="line_number", min_value=1),
        *amount_expectations(thresholds),
    ]


SPEC = SilverTableSpec(
    table="web_order_lines",
    source="web_orders",
    columns=(
        "order_id",
        "line_number",
        "customer_id",
        "ordered_at",
        "order_status",
        "is_cancelled",
        "is_returned",
        "sku",
        "category",
        "quantity",
        "unit_price",
        "currency",
        "line_amount",
    ),
    natural_key=("order_id", "line_number"),
    required=(
        "order_id",
        "line_number",
        "customer_id",
        "ordered_at",
        "order_status",
        "sku",
        "quantity",
        "unit_price",
        "currency",
        "line_amount",
    ),
    timestamps=("ordered_at",),
    null_drift=("category",),
    mean_drift=("line_amount", "quantity"),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.web_order_lines` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
