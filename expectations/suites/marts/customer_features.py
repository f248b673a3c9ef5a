"""Suite `marts.customer_features`: the ML feature table, complete (no nulls where a source stands behind a column) and in range."""

from __future__ import annotations

from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.contracts import CUSTOMER_FEATURES_CONTRACT
from customer_platform.feature_sources import absent_features
from customer_platform.registry import Registry
from expectations.common import GateThresholds, critical, new_suite, parse_logical_date, warning

SUITE_NAME = "marts.customer_features"
ASSET_NAME = "customer_features"
TABLES = ("customer_features",)
OPTIONAL = False
QUERY = "select * replace (cast(logical_date as varchar) as logical_date) from marts.customer_features"
#: One row per customer; row-level checks of columns that move with the date run in SQL on the whole table.
KEY = "unified_customer_id"
MOVING_COLUMNS = ("logical_date", "recency_days", "tenure_days", "days_since_last_engagement")
#: Contract columns (docs/contracts.md); the table may carry more, which must be non-null too.
COLUMNS = CUSTOMER_FEATURES_CONTRACT
UNIT_INTERVAL = (
    "return_rate",
    "share_main_channel",
    "email_open_rate",
    "email_click_rate",
    "share_apparel",
    "share_footwear",
    "share_beauty",
    "share_home",
    "share_electronics",
    "share_outlet",
)
FLAGS = ("has_children", "is_urban", "has_demographics", "has_marketing_consent")
NON_NEGATIVE = (
    "recency_days",
    "frequency",
    "avg_order_value",
    "tenure_days",
    "sessions",
    "product_views",
    "add_to_carts",
    "emails_sent",
    "days_since_last_engagement",
    "household_size",
)


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.customer_features`; `frame` (when given) adds not-null checks for extra columns."""
    day = parse_logical_date(logical_date)
    extra_columns = [c for c in getattr(frame, "columns", []) if c not in COLUMNS]
    # A feature no active source stands behind is null in every row, never a fake zero.
    absent = set(absent_features(registry))
    expectations = [critical(gxe.ExpectColumnToExist, column=c) for c in COLUMNS]
    expectations += [
        critical(gxe.ExpectColumnValuesToNotBeNull, column=c)
        for c in (*COLUMNS, *extra_columns)
        if c not in absent
    ]
    expectations += [critical(gxe.ExpectColumnValuesToBeNull, column=c) for c in COLUMNS if c in absent]
    expectations += [
        critical(gxe.ExpectColumnValuesToBeUnique, column="unified_customer_id"),
        critical(gxe.ExpectColumnValuesToBeInSet, column="logical_date", value_set=[str(day)]),
        *[
            critical(gxe.ExpectColumnValuesToBeBetween, column=c, min_value=1, max_value=5)
            for c in ("r_score", "f_score", "m_score")
        ],
        critical(gxe.ExpectColumnValuesToBeBetween, column="monetary", min_value=0),
        *[
            warning(gxe.ExpectColumnValuesToBeBetween, column=c, min_value=0, max_value=1)
            for c in UNIT_INTERVAL
        ],
        *[warning(gxe.ExpectColumnValuesToBeInSet, column=c, value_set=[0, 1]) for c in FLAGS],
        *[warning(gxe.ExpectColumnValuesToBeBetween, column=c, min_value=0) for c in NON_NEGATIVE],
        warning(gxe.ExpectColumnValuesToBeBetween, column="engagement_score", min_value=0, max_value=100),
        warning(gxe.ExpectColumnValuesToBeBetween, column="age_band_index", min_value=0, max_value=5),
        warning(gxe.ExpectColumnValuesToBeBetween, column="income_band_index", min_value=0, max_value=2),
    ]
    return new_suite(SUITE_NAME, expectations, table="marts.customer_features", logical_date=str(day))
