"""Suite `silver.web_events`: clickstream, one row per `event_id`."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import GateThresholds, critical, parse_logical_date
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite

EVENT_TYPES = ["page_view", "product_view", "add_to_cart", "checkout"]


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [critical(gxe.ExpectColumnValuesToBeInSet, column="event_type", value_set=EVENT_TYPES)]


SPEC = SilverTableSpec(
    table="web_events",
    source="web_events",
    columns=("event_id", "occurred_at", "cookie_id", "user_id", "session_id", "event_type", "sku"),
    natural_key=("event_id",),
    required=("event_id", "occurred_at", "cookie_id", "event_type"),
    timestamps=("occurred_at",),
    null_drift=("user_id", "session_id", "sku"),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.web_events` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
