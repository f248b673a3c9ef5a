"""Segmentation uses only the features an active source stands behind."""

from __future__ import annotations

from customer_platform.config import SHIPPED_CONTRACTS_DIR
from customer_platform.contract_parser import load_contracts
from customer_platform.registry import Registry
from models.features import FEATURE_COLUMNS, FEATURE_SOURCES, features_with_sources
from models.segmentation.pipeline import CLUSTER_FEATURES


def _registry(*active: str) -> Registry:
    return Registry(contracts=load_contracts(SHIPPED_CONTRACTS_DIR), active=active)


def test_the_demo_sources_stand_behind_every_cluster_feature():
    demo = tuple(n for n, c in load_contracts(SHIPPED_CONTRACTS_DIR).items() if not c.example)
    assert features_with_sources(CLUSTER_FEATURES, _registry(*demo)) == (CLUSTER_FEATURES, {})


def test_an_invoice_export_alone_leaves_out_web_and_email_features():
    kept, left_out = features_with_sources(CLUSTER_FEATURES, _registry("invoice_lines"))
    assert kept == ("recency_days", "frequency", "avg_order_value", "tenure_days", "share_main_channel")
    assert set(left_out) == {"sessions", "email_open_rate"}
    assert "web_event" in left_out["sessions"] and "email_event" in left_out["email_open_rate"]


def test_a_shop_dump_has_orders_but_no_line_categories():
    kept, left_out = features_with_sources(
        ("avg_order_value", "share_outlet"), _registry("shop_customers", "shop_orders", "shop_payments")
    )
    assert kept == ("avg_order_value",) and "category" in left_out["share_outlet"]


def test_every_source_requirement_names_a_feature_column():
    assert set(FEATURE_SOURCES) <= set(FEATURE_COLUMNS)
