"""Suite `silver.email_events`: email engagement events, one row per `event_id`."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from expectations.common import SHA256_REGEX, GateThresholds, critical, parse_logical_date, warning
from expectations.history import TableBaseline
from expectations.silver_spec import SilverTableSpec, build_silver_suite

EVENT_TYPES = ["sent", "open", "click", "bounce", "unsubscribe"]


def _extra(logical_date: date, thresholds: GateThresholds) -> list[Expectation]:
    return [
        critical(gxe.ExpectColumnValuesToBeInSet, column="event_type", value_set=EVENT_TYPES),
        warning(gxe.ExpectColumnValuesToMatchRegex, column="email_sha256", regex=SHA256_REGEX),
    ]


SPEC = SilverTableSpec(
    table="email_events",
    source="email_engagement",
    columns=(
        "event_id",
        "subscriber_id",
        "email",
        "email_hash",
        "email_sha256",
        "campaign_id",
        "event_type",
        "occurred_at",
    ),
    natural_key=("event_id",),
    required=("event_id", "subscriber_id", "event_type", "occurred_at"),
    timestamps=("occurred_at",),
    emails=("email",),
    null_drift=("email", "campaign_id"),
    extra=_extra,
)


def build_suite(
    logical_date: str | date, baseline: TableBaseline | None = None, thresholds: GateThresholds | None = None
) -> gx.ExpectationSuite:
    """Build `silver.email_events` for one logical date (history checks when a baseline is given)."""
    return build_silver_suite(SPEC, parse_logical_date(logical_date), baseline, thresholds)
