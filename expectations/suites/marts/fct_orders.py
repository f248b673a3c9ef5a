"""Suite `marts.fct_orders`: unique orders, none orphaned from `marts.dim_customers`.

A guest order (no identifier on its record) has no customer and is not an orphan.

The channels an order may come from are the `channel`s of the active order sources' contracts.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.registry import Registry, get_registry
from expectations.common import (
    GateThresholds,
    critical,
    future_cutoff,
    new_suite,
    parse_logical_date,
    warning,
)

SUITE_NAME = "marts.fct_orders"
ASSET_NAME = "fct_orders"
TABLES = ("fct_orders", "dim_customers")
OPTIONAL = False
#: The orphan check needs a join, so the validated frame is computed, one row per order.
QUERY = """
select
    orders.order_id,
    orders.channel,
    orders.unified_customer_id,
    cast(orders.ordered_at as timestamp) as ordered_at,
    orders.gross_amount,
    orders.net_amount,
    orders.unified_customer_id is null or customers.unified_customer_id is not null as customer_in_dim_customers
from marts.fct_orders as orders
left join (select distinct unified_customer_id from marts.dim_customers) as customers
    on orders.unified_customer_id = customers.unified_customer_id
"""
#: Entities whose rows make orders.
#: One row per order; the future cut-off of `ordered_at` moves with the date, so it is checked in SQL.
KEY = "order_id"
MOVING_COLUMNS = ("ordered_at",)
ORDER_ENTITIES = ("order", "order_line")


def order_channels(registry: Registry | None = None) -> list[str]:
    """Channels of the active order sources (`web`, `pos`, ...), sorted."""
    sources = (registry or get_registry()).sources()
    return sorted({c.channel for c in sources if c.entity in ORDER_ENTITIES and c.channel})


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.fct_orders` for the run's logical date."""
    day = parse_logical_date(logical_date)
    channels = order_channels(registry)
    order_id_regex = "^(?:" + "|".join(re.escape(c) for c in channels) + "):.+$"
    expectations = [
        critical(gxe.ExpectColumnValuesToNotBeNull, column="order_id"),
        critical(gxe.ExpectColumnValuesToBeUnique, column="order_id"),
        critical(
            gxe.ExpectColumnValuesToBeInSet,
            column="customer_in_dim_customers",
            value_set=[True],
            meta={"check": "no_orphan_orders"},
        ),
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="ordered_at",
            max_value=future_cutoff(day, tz_aware=False),
        ),
        warning(gxe.ExpectColumnValuesToBeInSet, column="channel", value_set=channels),
        warning(gxe.ExpectColumnValuesToMatchRegex, column="order_id", regex=order_id_regex),
        warning(gxe.ExpectColumnValuesToBeBetween, column="gross_amount", min_value=0),
    ]
    return new_suite(SUITE_NAME, expectations, table="marts.fct_orders", logical_date=str(day))
