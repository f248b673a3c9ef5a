"""Suite `marts.customer_segments`: every unified customer has exactly one segment (ML or lifecycle).

The nightly DAG runs the marts gate before scoring, so the segments it sees may be the
previous run's: then a customer without a segment is only a warning (new customers are
scored later in the run); when the segments are this logical date's, it is critical.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.registry import Registry
from expectations.common import GateThresholds, critical, new_suite, parse_logical_date, warning

SUITE_NAME = "marts.customer_segments"
ASSET_NAME = "customer_segments_coverage"
TABLES = ("customer_segments", "customer_lifecycle")
OPTIONAL = True
#: One row per customer (the incremental gate compares rows by it).
KEY = "unified_customer_id"
QUERY = """
select
    customers.unified_customer_id,
    segments.segment_id,
    segments.unified_customer_id is not null as has_segment,
    (select cast(max(logical_date) as varchar) from marts.customer_segments) as segments_logical_date
from marts.customer_lifecycle as customers
left join marts.customer_segments as segments
    on customers.unified_customer_id = segments.unified_customer_id
"""


def segments_are_current(frame: Any, logical_date: date) -> bool:
    """True when the segments table was written for this logical date."""
    if frame is None or "segments_logical_date" not in getattr(frame, "columns", []) or frame.empty:
        return False
    return str(frame["segments_logical_date"].iloc[0]) == str(logical_date)


def notes(frame: Any, logical_date: date) -> list[str]:
    """Explain why coverage is only a warning when the segments are from an earlier run."""
    if segments_are_current(frame, logical_date):
        return []
    written = None if frame is None or frame.empty else frame["segments_logical_date"].iloc[0]
    return [
        f"{SUITE_NAME}: segments were written for {written}, not {logical_date}; "
        "missing segments are warnings until segment_customers runs"
    ]


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.customer_segments`; coverage is critical only when segments are this date's."""
    day = parse_logical_date(logical_date)
    current = segments_are_current(frame, day)
    coverage = critical if current else warning
    expectations = [
        critical(gxe.ExpectColumnValuesToBeUnique, column="unified_customer_id"),
        coverage(
            gxe.ExpectColumnValuesToBeInSet,
            column="has_segment",
            value_set=[True],
            meta={"check": "segment_coverage", "segments_are_current": current},
        ),
    ]
    return new_suite(SUITE_NAME, expectations, table="marts.customer_segments", logical_date=str(day))
