"""Registry of the suites each gate runs, in the order they are reported."""

from __future__ import annotations

from types import ModuleType

from expectations import (
    marts_customer_features,
    marts_customer_identity_map,
    marts_customer_rfm,
    marts_customer_segments,
    marts_fct_orders,
    silver_crm_customers,
    silver_demographics,
    silver_email_events,
    silver_pos_order_lines,
    silver_web_events,
    silver_web_order_lines,
)
from expectations.silver_ingestion import SUITE_NAME as SILVER_INGESTION_SUITE

#: One module per silver table; each exposes `SPEC` and `build_suite(logical_date, baseline, thresholds)`.
SILVER_TABLE_SUITES: tuple[ModuleType, ...] = (
    silver_crm_customers,
    silver_web_order_lines,
    silver_pos_order_lines,
    silver_web_events,
    silver_email_events,
    silver_demographics,
)

#: One module per mart check; each exposes `SUITE_NAME`, `TABLES`, `OPTIONAL`, `QUERY`
#: and `build_suite(logical_date, thresholds, frame)`.
MARTS_SUITES: tuple[ModuleType, ...] = (
    marts_customer_rfm,
    marts_fct_orders,
    marts_customer_features,
    marts_customer_segments,
    marts_customer_identity_map,
)


def suite_names(gate: str) -> list[str]:
    """Names of every suite of a gate."""
    if gate == "silver":
        return [m.SPEC.suite_name for m in SILVER_TABLE_SUITES] + [SILVER_INGESTION_SUITE]
    if gate == "marts":
        return [m.SUITE_NAME for m in MARTS_SUITES]
    raise ValueError(f"gate must be 'silver' or 'marts', got {gate!r}")
