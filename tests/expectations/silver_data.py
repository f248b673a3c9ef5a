"""Tiny, contract-shaped silver partitions and manifests for the gate tests (written with DuckDB)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd

SALT = "test-salt"


def _sha(text: str, salt: str = "") -> str:
    return hashlib.sha256(f"{salt}{text}".encode()).hexdigest()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _lineage(day: date, source: str) -> dict:
    return {
        "_source_file": f"landing/{source}/{day}/{source}.csv",
        "_ingest_date": day,
        "_run_id": f"test__{day}",
        "_ingested_at": _at(day + timedelta(days=1), 1),
    }


def crm_customers(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for k in range(start, start + n):
        email = f"user{k}@example.com"
        phone = f"+4477009{k % 100000:05d}"
        rows.append(
            {
                "customer_id": f"C{k:07d}",
                "first_name": "Ann",
                "last_name": "Lee",
                "email": email,
                "email_hash": _sha(email, SALT),
                "email_sha256": _sha(email),
                "phone": phone,
                "phone_hash": _sha(phone, SALT),
                "birth_date": date(1970, 1, 1) + timedelta(days=k % 15000),
                "postcode": "SW1A 1AA",
                "city": "London",
                "country_code": "GB",
                "loyalty_id": f"L{k:08d}" if k % 3 else None,
                "has_marketing_consent": k % 2 == 0,
                "created_at": _at(day - timedelta(days=30), 8),
                "updated_at": _at(day, 10, k % 60),
                **_lineage(day, "crm_customers"),
            }
        )
    return pd.DataFrame(rows)


def web_order_lines(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for k in range(start, start + n):
        quantity, price = 1 + k % 3, 10.0 + k % 50
        rows.append(
            {
                "order_id": f"W{k // 2:08d}",
                "line_number": 1 + k % 2,
                "customer_id": f"C{k % 500:07d}",
                "ordered_at": _at(day, 12, k % 60),
                "order_status": "completed",
                "is_cancelled": False,
                "is_returned": False,
                "sku": f"SKU-{k % 20}",
                "category": "apparel",
                "quantity": quantity,
                "unit_price": price,
                "currency": "GBP",
                "line_amount": quantity * price,
                **_lineage(day, "web_orders"),
            }
        )
    return pd.DataFrame(rows)


def pos_order_lines(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for k in range(start, start + n):
        email = f"user{k % 500}@example.com"
        quantity, price = 1 + k % 2, 5.0 + k % 30
        rows.append(
            {
                "transaction_id": f"P{k // 2:08d}",
                "line_number": 1 + k % 2,
                "store_id": "S01",
                "loyalty_id": f"L{k % 500:08d}",
                "email": email,
                "email_hash": _sha(email, SALT),
                "email_sha256": _sha(email),
                "transacted_at": _at(day, 15, k % 60),
                "sku": f"SKU-{k % 20}",
                "category": "beauty",
                "quantity": quantity,
                "unit_price": price,
                "currency": "GBP",
                "line_amount": quantity * price,
                "is_return": False,
                **_lineage(day, "pos_orders"),
            }
        )
    return pd.DataFrame(rows)


def web_events(day: date, n: int, start: int = 0) -> pd.DataFrame:
    types = ["page_view", "product_view", "add_to_cart", "checkout"]
    rows = []
    for k in range(start, start + n):
        event_type = types[k % 4]
        rows.append(
            {
                "event_id": f"E{day:%Y%m%d}{k:07d}",
                "occurred_at": _at(day, 9, k % 60),
                "cookie_id": f"K{k % 300:06d}",
                "user_id": f"C{k % 500:07d}" if k % 2 else None,
                "session_id": f"S{k // 5:07d}",
                "event_type": event_type,
                "sku": None if event_type == "page_view" else f"SKU-{k % 20}",
                **_lineage(day, "web_events"),
            }
        )
    return pd.DataFrame(rows)


def email_events(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for k in range(start, start + n):
        email = f"user{k % 500}@example.com"
        rows.append(
            {
                "event_id": f"M{day:%Y%m%d}{k:07d}",
                "subscriber_id": f"S{k % 500:07d}",
                "email": email,
                "email_hash": _sha(email, SALT),
                "email_sha256": _sha(email),
                "campaign_id": "CAMP-1",
                "event_type": ["sent", "open", "click"][k % 3],
                "occurred_at": _at(day, 7, k % 60),
                **_lineage(day, "email_engagement"),
            }
        )
    return pd.DataFrame(rows)


def demographics(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = [
        {
            "email_sha256": _sha(f"user{k}@example.com"),
            "age_band": ["18-24", "25-34", "35-44"][k % 3],
            "income_band": ["low", "medium", "high"][k % 3],
            "household_size": 1 + k % 4,
            "has_children": k % 2 == 0,
            "region_type": "urban",
            **_lineage(day, "demographics"),
        }
        for k in range(start, start + n)
    ]
    return pd.DataFrame(rows)


def campaign_members(day: date, n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for k in range(start, start + n):
        email = f"user{k}@example.com"
        rows.append(
            {
                "campaign_id": "CMP-1",
                "campaign_name": "Win-back",
                "channel": "email",
                "subscriber_id": f"S{k:07d}",
                "customer_id": f"C{k:07d}" if k % 4 else None,
                "email": email,
                "email_hash": _sha(email, SALT),
                "email_sha256": _sha(email),
                "group": "holdout" if k % 5 == 0 else "treatment",
                "assigned_at": _at(day, 6, k % 60),
                **_lineage(day, "campaign_log"),
            }
        )
    return pd.DataFrame(rows)


#: silver table -> (source, row builder)
TABLES: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "crm_customers": ("crm_customers", crm_customers),
    "web_order_lines": ("web_orders", web_order_lines),
    "pos_order_lines": ("pos_orders", pos_order_lines),
    "web_events": ("web_events", web_events),
    "email_events": ("email_engagement", email_events),
    "demographics": ("demographics", demographics),
    "campaign_members": ("campaign_log", campaign_members),
}


def write_partition(silver_dir: Path, table: str, day: date, frame: pd.DataFrame) -> Path:
    """Write `frame` as `silver/<table>/ingest_date=<day>/part-00000.parquet` (timestamps as UTC instants)."""
    target = silver_dir / table / f"ingest_date={day}"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.parquet"):
        old.unlink()
    path = target / "part-00000.parquet"
    connection = duckdb.connect()
    try:
        connection.execute("set TimeZone = 'UTC'")
        connection.register("frame", frame)
        connection.execute(f"copy (select * from frame) to '{path}' (format parquet)")
    finally:
        connection.close()
    return path


def write_manifest(
    manifests_dir: Path, source: str, day: date, rows_bronze: int, rows_quarantined: int = 0
) -> Path:
    """A manifest in the shape the ingestion job writes (per-file counts plus totals)."""
    path = manifests_dir / source / f"ingest_date={day}" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    read = rows_bronze + rows_quarantined
    payload = {
        "source": source,
        "ingest_date": str(day),
        "files": [
            {
                "file": f"{source}.csv",
                "rows_read": read,
                "rows_bronze": rows_bronze,
                "rows_quarantined": rows_quarantined,
            }
        ],
        "rows_read": read,
        "rows_bronze": rows_bronze,
        "rows_quarantined": rows_quarantined,
        "rows_per_second": 1000.0,
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def write_clean_day(
    silver_dir: Path, manifests_dir: Path, day: date, n: int = 40, skip: tuple[str, ...] = ()
) -> None:
    """Every silver table (except `skip`) and its manifest for one day."""
    for table, (source, build) in TABLES.items():
        if table in skip:
            continue
        frame = build(day, n)
        write_partition(silver_dir, table, day, frame)
        write_manifest(manifests_dir, source, day, rows_bronze=len(frame), rows_quarantined=1)
