"""Suite `marts.customer_lifecycle`: one row per unified customer, a known stage, no negative order count."""

from __future__ import annotations

from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.registry import Registry
from expectations.common import GateThresholds, critical, new_suite, parse_logical_date

SUITE_NAME = "marts.customer_lifecycle"
ASSET_NAME = "customer_lifecycle"
TABLES = ("customer_lifecycle",)
OPTIONAL = False
QUERY = (
    "select unified_customer_id, lifetime_orders, lifecycle_stage, cast(logical_date as varchar) as logical_date "
    "from marts.customer_lifecycle"
)
#: One row per customer; the logical date moves every night, so its check runs in SQL.
KEY = "unified_customer_id"
MOVING_COLUMNS = ("logical_date",)
#: The stages of the dbt model (macros/lifecycle.sql), in rank order.
STAGES = ("anonymous", "prospect", "new", "active", "at_risk", "lapsed")


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.customer_lifecycle` for the run's logical date."""
    day = parse_logical_date(logical_date)
    expectations = [
        critical(gxe.ExpectColumnValuesToNotBeNull, column="unified_customer_id"),
        critical(gxe.ExpectColumnValuesToBeUnique, column="unified_customer_id"),
        # In-set checks skip nulls: a stage-less customer is caught by the not-null check.
        critical(gxe.ExpectColumnValuesToNotBeNull, column="lifecycle_stage"),
        critical(gxe.ExpectColumnValuesToBeInSet, column="lifecycle_stage", value_set=list(STAGES)),
        critical(gxe.ExpectColumnValuesToNotBeNull, column="lifetime_orders"),
        critical(gxe.ExpectColumnValuesToBeBetween, column="lifetime_orders", min_value=0),
        critical(gxe.ExpectColumnValuesToBeInSet, column="logical_date", value_set=[str(day)]),
    ]
    return new_suite(SUITE_NAME, expectations, table="marts.customer_lifecycle", logical_date=str(day))
