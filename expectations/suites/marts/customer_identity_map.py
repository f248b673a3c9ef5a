"""Suite `marts.customer_identity_map`: no identity cluster larger than the configured maximum.

Orders are records of the identity graph too, and a loyal customer legitimately has
hundreds; an over-merge shows as too many *identities* (CRM contacts, cookies, email
subscribers) in one cluster. So the critical limit applies to identity records, and the
total record count only warns. Which sources hold transactions comes from the registry
(entity order, order line or payment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

from customer_platform.registry import Registry, get_registry
from expectations.common import GateThresholds, critical, new_suite, parse_logical_date, warning

SUITE_NAME = "marts.customer_identity_map"
ASSET_NAME = "identity_clusters"
TABLES = ("customer_identity_map",)
OPTIONAL = False
#: One row per customer (the incremental gate compares rows by it).
KEY = "unified_customer_id"
#: Entities whose records are transactions, not identities: a loyal customer has hundreds.
TRANSACTION_ENTITIES = ("order", "order_line", "payment")
#: One row per unified customer: how many source records, and how many identities, it merges.
QUERY = """
select
    unified_customer_id,
    count(*) filter (
        where not list_contains(cast($transaction_sources as varchar[]), source)
    ) as cluster_size,
    count(*) as record_count,
    count(distinct source) as source_count
from marts.customer_identity_map
group by unified_customer_id
"""


def query_parameters(registry: Registry | None = None) -> dict[str, Any]:
    """`$transaction_sources`: the active sources whose records are transactions."""
    sources = (registry or get_registry()).sources()
    return {"transaction_sources": [c.name for c in sources if c.entity in TRANSACTION_ENTITIES]}


def build_suite(
    logical_date: str | date,
    thresholds: GateThresholds | None = None,
    frame: Any = None,
    registry: Registry | None = None,
) -> gx.ExpectationSuite:
    """Build `marts.customer_identity_map` with the cluster-size limits from `thresholds`."""
    day = parse_logical_date(logical_date)
    thresholds = thresholds or GateThresholds()
    expectations = [
        critical(gxe.ExpectColumnValuesToNotBeNull, column="unified_customer_id"),
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="cluster_size",
            min_value=0,
            max_value=thresholds.max_cluster_size,
            meta={"check": "max_cluster_size", "counts": "identity records (orders excluded)"},
        ),
        warning(
            gxe.ExpectColumnValuesToBeBetween,
            column="record_count",
            min_value=1,
            max_value=thresholds.max_records_per_customer,
        ),
        warning(gxe.ExpectColumnValuesToBeBetween, column="source_count", min_value=1, max_value=5),
    ]
    return new_suite(
        SUITE_NAME,
        expectations,
        table="marts.customer_identity_map",
        logical_date=str(day),
        max_cluster_size=thresholds.max_cluster_size,
    )
