"""Column contracts shared by more than one layer (see docs/contracts.md)."""

from __future__ import annotations

#: Numeric model inputs of `marts.customer_features`, in contract order.
CUSTOMER_FEATURE_COLUMNS: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "return_rate",
    "share_main_channel",
    "r_score",
    "f_score",
    "m_score",
    "sessions",
    "product_views",
    "add_to_carts",
    "emails_sent",
    "email_open_rate",
    "email_click_rate",
    "days_since_last_engagement",
    "engagement_score",
    "share_apparel",
    "share_footwear",
    "share_beauty",
    "share_home",
    "share_electronics",
    "share_outlet",
    "age_band_index",
    "income_band_index",
    "household_size",
    "has_children",
    "is_urban",
    "has_demographics",
    "has_marketing_consent",
)

#: Every contract column of `marts.customer_features`, in order.
CUSTOMER_FEATURES_CONTRACT: tuple[str, ...] = (
    "unified_customer_id",
    "logical_date",
    *CUSTOMER_FEATURE_COLUMNS,
)
