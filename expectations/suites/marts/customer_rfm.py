"""Suite `marts.customer_rfm`: one row per unified customer, scores 1..5, non-negative money."""

from __future__ import annotations

from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.registry import Registry
from expectations.common import GateThresholds, critical, new_suite, parse_logical_date, warning

SUITE_NAME = "marts.customer_rfm"
ASSET_NAME = "customer_rfm"
TABLES = ("customer_rfm",)
OPTIONAL = False
QUERY = "select * replace (cast(logical_date as varchar) as logical_date) from marts.customer_rfm"
#: One row per customer; row-level checks of columns that move with the date run in SQL on the whole table.
KEY = "unified_customer_id"
MOVING_COLUMNS = ("logical_date", "recency_days")
COLUMNS = (
    "unified_customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "logical_date",
)


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.customer_rfm` for the run's logical date."""
    day = parse_logical_date(logical_date)
    expectations = [critical(gxe.ExpectColumnToExist, column=c) for c in COLUMNS]
    expectations += [
        critical(gxe.ExpectColumnValuesToNotBeNull, column="unified_customer_id"),
        critical(gxe.ExpectColumnValuesToBeUnique, column="unified_customer_id"),
        *[
            critical(gxe.ExpectColumnValuesToBeBetween, column=c, min_value=1, max_value=5)
            for c in ("r_score", "f_score", "m_score")
        ],
        *[critical(gxe.ExpectColumnValuesToNotBeNull, column=c) for c in ("r_score", "f_score", "m_score")],
        critical(gxe.ExpectColumnValuesToBeBetween, column="monetary", min_value=0),
        critical(gxe.ExpectColumnValuesToBeBetween, column="frequency", min_value=0),
        critical(gxe.ExpectColumnValuesToBeBetween, column="recency_days", min_value=0),
        critical(gxe.ExpectColumnValuesToBeInSet, column="logical_date", value_set=[str(day)]),
        warning(gxe.ExpectColumnValuesToNotBeNull, column="rfm_segment"),
    ]
    return new_suite(SUITE_NAME, expectations, table="marts.customer_rfm", logical_date=str(day))
