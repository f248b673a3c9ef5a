"""Small marts tables (contract columns) in a DuckDB warehouse file for the marts gate tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from expectations.suites.marts.customer_features import COLUMNS as FEATURE_COLUMNS


def customer_ids(n: int) -> list[str]:
    return [f"U{k:05d}" for k in range(n)]


def dim_customers(n: int) -> pd.DataFrame:
    ids = customer_ids(n)
    return pd.DataFrame(
        {
            "unified_customer_id": ids,
            "email_hash": [f"h{k}" for k in range(n)],
            "country_code": "GB",
            "birth_year": 1980,
            "has_marketing_consent": True,
            "source_count": 2,
        }
    )


def fct_orders(n_customers: int, day: date) -> pd.DataFrame:
    ids = customer_ids(n_customers)
    rows = []
    for k in range(n_customers * 2):
        channel = "web" if k % 2 else "pos"
        rows.append(
            {
                "order_id": f"{channel}:O{k:06d}",
                "channel": channel,
                "unified_customer_id": ids[k % n_customers],
                "ordered_at": datetime.combine(day, datetime.min.time()) - timedelta(hours=k),
                "order_date": day - timedelta(days=k // 24),
                "is_cancelled": False,
                "is_returned": False,
                "is_completed": True,
                "gross_amount": 20.0 + k,
                "net_amount": 20.0 + k,
                "item_count": 1 + k % 3,
                "line_count": 1,
            }
        )
    return pd.DataFrame(rows)


def customer_rfm(n: int, day: date) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unified_customer_id": customer_ids(n),
            "recency_days": [k % 90 for k in range(n)],
            "frequency": [1 + k % 5 for k in range(n)],
            "monetary": [10.0 * (1 + k) for k in range(n)],
            "r_score": [1 + k % 5 for k in range(n)],
            "f_score": [1 + (k // 2) % 5 for k in range(n)],
            "m_score": [1 + (k // 3) % 5 for k in range(n)],
            "fm_score": [1 + k % 5 for k in range(n)],
            "rfm_segment": "loyal",
            "logical_date": day,
        }
    )


def customer_features(n: int, day: date) -> pd.DataFrame:
    frame = pd.DataFrame({"unified_customer_id": customer_ids(n), "logical_date": day})
    for column in FEATURE_COLUMNS[2:]:
        frame[column] = 0
    frame["r_score"] = frame["f_score"] = frame["m_score"] = 3
    frame["monetary"] = 120.5
    frame["return_rate"] = 0.1
    frame["engagement_score"] = 55.0
    frame["household_size"] = 2
    frame["is_urban"] = 1
    return frame


def customer_identity_map(n: int, records_per_customer: int = 3) -> pd.DataFrame:
    rows = []
    sources = ["crm_customers", "web_events", "email_engagement", "web_orders"]
    for customer in customer_ids(n):
        for r in range(records_per_customer):
            source = sources[r % len(sources)]
            rows.append(
                {
                    "record_key": f"{source}:{customer}-{r}",
                    "source": source,
                    "source_record_id": f"{customer}-{r}",
                    "unified_customer_id": customer,
                    "match_method": "deterministic",
                    "match_probability": 1.0,
                    "cluster_size": records_per_customer,
                }
            )
    return pd.DataFrame(rows)


def customer_segments(ids: list[str], day: date) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unified_customer_id": ids,
            "segment_id": [k % 4 for k in range(len(ids))],
            "segment_name": "champions",
            "model_version": "1",
            "mlflow_run_id": "run-1",
            "logical_date": day,
        }
    )


def customer_lifecycle(n: int, day: date) -> pd.DataFrame:
    stages = ["anonymous", "prospect", "new", "active", "at_risk", "lapsed"]
    return pd.DataFrame(
        {
            "unified_customer_id": customer_ids(n),
            "lifetime_orders": [0 if k % 6 < 2 else k % 4 + 1 for k in range(n)],
            "lifecycle_stage": [stages[k % 6] for k in range(n)],
            "lifecycle_stage_rank": [k % 6 + 1 for k in range(n)],
            "logical_date": day,
        }
    )


def clean_marts(day: date, n: int = 30) -> dict[str, pd.DataFrame]:
    """Every mart the gate reads, consistent with each other."""
    return {
        "dim_customers": dim_customers(n),
        "fct_orders": fct_orders(n, day),
        "customer_rfm": customer_rfm(n, day),
        "customer_features": customer_features(n, day),
        "customer_identity_map": customer_identity_map(n),
        "customer_lifecycle": customer_lifecycle(n, day),
    }


def write_warehouse(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Create (or replace) `marts.<name>` tables in the DuckDB file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        connection.execute("create schema if not exists marts")
        for name, frame in tables.items():
            connection.register("frame", frame)
            connection.execute(f"create or replace table marts.{name} as select * from frame")
            connection.unregister("frame")
    finally:
        connection.close()
    return path
