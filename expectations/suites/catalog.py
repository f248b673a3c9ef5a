"""Which suites each gate runs, in the order they are reported.

The silver gate has one suite per active source of the registry (its silver table) plus the
ingestion reconciliation; the marts gate has one suite per module of `expectations.suites.marts`.
"""

from __future__ import annotations

from types import ModuleType

from customer_platform.registry import Registry, get_registry
from expectations.suites.marts import (
    customer_features,
    customer_identity_map,
    customer_lifecycle,
    customer_rfm,
    customer_segments,
    fct_orders,
)
from expectations.suites.silver.ingestion import SUITE_NAME as SILVER_INGESTION_SUITE
from expectations.suites.silver.rules import suite_name

#: One module per mart check (protocol in `expectations.suites.marts`).
MARTS_SUITES: tuple[ModuleType, ...] = (
    customer_rfm,
    fct_orders,
    customer_features,
    customer_segments,
    customer_identity_map,
    customer_lifecycle,
)


def silver_table_suites(registry: Registry | None = None) -> list[str]:
    """Suite names of the active sources' silver tables, in registry order."""
    return [suite_name(c.silver_table) for c in (registry or get_registry()).sources()]


def suite_names(gate: str, registry: Registry | None = None) -> list[str]:
    """Names of every suite of a gate (silver: of the registry's active sources)."""
    if gate == "silver":
        return [*silver_table_suites(registry), SILVER_INGESTION_SUITE]
    if gate == "marts":
        return [m.SUITE_NAME for m in MARTS_SUITES]
    raise ValueError(f"gate must be 'silver' or 'marts', got {gate!r}")
