"""Write small landing drops the way docs/contracts.md describes them (tests build their own)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

#: Landing columns per source, in contract order.
COLUMNS: dict[str, list[str]] = {
    "crm_customers": [
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "postcode",
        "city",
        "country",
        "loyalty_id",
        "marketing_consent",
        "created_at",
        "updated_at",
    ],
    "web_orders": [
        "order_id",
        "line_number",
        "customer_id",
        "ordered_at",
        "order_status",
        "sku",
        "category",
        "quantity",
        "unit_price",
        "currency",
    ],
    "pos_orders": [
        "transaction_id",
        "line_number",
        "store_id",
        "loyalty_id",
        "email",
        "transacted_at",
        "sku",
        "category",
        "quantity",
        "unit_price",
        "currency",
    ],
    "web_events": ["event_id", "occurred_at", "cookie_id", "user_id", "session_id", "event_type", "sku"],
    "email_engagement": ["event_id", "subscriber_id", "email", "campaign_id", "event_type", "occurred_at"],
    "demographics": [
        "email_sha256",
        "age_band",
        "income_band",
        "household_size",
        "has_children",
        "region_type",
    ],
}
EXTENSION = {"web_events": "jsonl"}


def row(source: str, i: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid landing row of `source` with ids derived from `i`."""
    defaults: dict[str, dict[str, Any]] = {
        "crm_customers": dict(
            customer_id=f"C{i:07d}",
            first_name="Ann",
            last_name="Smith",
            email=f" Ann{i}@Example.COM ",
            phone="07700 900123",
            birth_date="1985-05-17",
            postcode="sw1a1aa",
            city="london",
            country="UK",
            loyalty_id=f"L{i:08d}",
            marketing_consent="Y",
            created_at="2025-01-01T10:00:00+00:00",
            updated_at="2026-06-03T14:05:09+01:00",
        ),
        "web_orders": dict(
            order_id=f"W{i:08d}",
            line_number=1,
            customer_id=f"C{i:07d}",
            ordered_at="2026-06-03T10:00:00Z",
            order_status="completed",
            sku="SKU-1",
            category="apparel",
            quantity=2,
            unit_price="10.50",
            currency="GBP",
        ),
        "pos_orders": dict(
            transaction_id=f"P{i:08d}",
            line_number=1,
            store_id="S01",
            loyalty_id=f"L{i:08d}",
            email="",
            transacted_at="2026-06-03 15:30:00",
            sku="SKU-2",
            category="beauty",
            quantity=1,
            unit_price="30",
            currency="GBP",
        ),
        "web_events": dict(
            event_id=f"E{i:08d}",
            occurred_at="2026-06-03T09:00:00Z",
            cookie_id=f"K{i}",
            user_id=None,
            session_id=f"S{i}",
            event_type="page_view",
            sku=None,
        ),
        "email_engagement": dict(
            event_id=f"M{i:08d}",
            subscriber_id=f"S{i:07d}",
            email=f"u{i}@example.com",
            campaign_id="CMP1",
            event_type="sent",
            occurred_at="2026-06-03T08:00:00",
        ),
        "demographics": dict(
            email_sha256=f"{i:064x}",
            age_band="35-44",
            income_band="high",
            household_size=3,
            has_children="true",
            region_type="urban",
        ),
    }
    return {**defaults[source], **overrides}


def drop_dir(landing_dir: Path, source: str, ingest_date: str) -> Path:
    folder = Path(landing_dir) / source / ingest_date
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_text(rows: list[dict[str, Any] | str], header: list[str]) -> str:
    """CSV with a header; dict rows are written with `csv`, string rows verbatim (malformed on purpose)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        if isinstance(r, str):
            out.write(r + "\n")
        else:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    return out.getvalue()


def write_drop(
    landing_dir: Path,
    source: str,
    ingest_date: str,
    rows: list[dict[str, Any] | str],
    header: list[str] | None = None,
    name: str | None = None,
    crlf: bool = False,
    bom: bool = False,
) -> Path:
    """Write one landing file of `source` for `ingest_date` (UTF-8); returns its path."""
    folder = drop_dir(landing_dir, source, ingest_date)
    ext = EXTENSION.get(source, "csv")
    path = folder / (name or f"{source}.{ext}")
    if ext == "jsonl":
        text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    else:
        text = csv_text(rows, header or COLUMNS[source])
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))
    return path


def valid_rows(source: str, n: int, start: int = 1, **overrides: Any) -> list[dict[str, Any]]:
    return [row(source, i, **overrides) for i in range(start, start + n)]
