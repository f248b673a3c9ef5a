"""Which columns of `marts.customer_features` have a source behind them.

One rule for every layer: dbt writes a feature without an active source behind it as null
(`CDP_DBT_ABSENT_FEATURES`, see customer_platform.dbt_registry), the marts gate expects it
null, and segmentation leaves it out. A deployment without a clickstream has no sessions,
not zero sessions.
"""

from __future__ import annotations

from collections.abc import Sequence

from customer_platform.contracts import CUSTOMER_FEATURE_COLUMNS
from customer_platform.registry import Registry, get_registry

_ORDERS = (("order", None), ("order_line", None))

#: What a feature needs behind it (`has_demographics` and `has_marketing_consent` need none:
#: without a source they are truthfully 0, no demographics and no consent on record): any one of (entity, measure role) among the active sources
#: (measure None: the entity alone). A feature absent here needs no particular source.
#: Without its source a column is null or a constant in `marts.customer_features`, and a model
#: trained on it would split customers on the absence of data.
FEATURE_SOURCES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "recency_days": _ORDERS,
    "frequency": _ORDERS,
    "monetary": _ORDERS,
    "avg_order_value": _ORDERS,
    "return_rate": _ORDERS,
    "share_main_channel": _ORDERS,
    "r_score": _ORDERS,
    "f_score": _ORDERS,
    "m_score": _ORDERS,
    "sessions": (("web_event", None),),
    "product_views": (("web_event", None),),
    "add_to_carts": (("web_event", None),),
    "emails_sent": (("email_event", None),),
    "days_since_last_engagement": (("web_event", None), ("email_event", None)),
    "engagement_score": (("web_event", None), ("email_event", None)),
    "email_open_rate": (("email_event", None),),
    "email_click_rate": (("email_event", None),),
    **{
        column: (("order_line", "category"),)
        for column in CUSTOMER_FEATURE_COLUMNS
        if column.startswith("share_") and column != "share_main_channel"  # category shares only
    },
    "age_band_index": (("enrichment", "age_band"),),
    "income_band_index": (("enrichment", "income_band"),),
    "household_size": (("enrichment", "household_size"),),
    "has_children": (("enrichment", "has_children"),),
    "is_urban": (("enrichment", "region_type"),),
}


def features_with_sources(
    features: Sequence[str], registry: Registry | None = None
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Split `features` into those an active source stands behind and those left out (with why)."""
    registry = registry or get_registry()
    kept, left_out = [], {}
    for feature in features:
        needs = FEATURE_SOURCES.get(feature)
        if needs is None or any(
            role is None or role in contract.measures
            for entity, role in needs
            for contract in registry.sources(entity)
        ):
            kept.append(feature)
        else:
            wanted = " or ".join(
                f"{entity}" + (f" with measure {role}" if role else "") for entity, role in needs
            )
            left_out[feature] = f"no active source of entity {wanted}"
    return tuple(kept), left_out


def absent_features(registry: Registry | None = None) -> tuple[str, ...]:
    """Feature columns no active source stands behind (null in the warehouse)."""
    return tuple(features_with_sources(CUSTOMER_FEATURE_COLUMNS, registry)[1])
