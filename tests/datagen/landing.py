"""Readers for generated landing folders, written against docs/contracts.md (not the generator)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

#: The landing contract, copied from docs/contracts.md on purpose: a test must fail if
#: the generator drifts from the document.
CONTRACT_COLUMNS = {
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
FILE_NAMES = {s: f"{s}.jsonl" if s == "web_events" else f"{s}.csv" for s in CONTRACT_COLUMNS}
TIMESTAMP_COLUMN = {
    "crm_customers": "updated_at",
    "web_orders": "ordered_at",
    "pos_orders": "transacted_at",
    "email_engagement": "occurred_at",
}
INT_COLUMN = {"web_orders": "quantity", "pos_orders": "quantity", "demographics": "household_size"}
IDENTITY_COLUMN = {
    "crm_customers": "customer_id",
    "web_orders": "order_id",
    "pos_orders": "transaction_id",
    "web_events": "cookie_id",
    "email_engagement": "subscriber_id",
}


def files(root: Path, source: str) -> list[Path]:
    """Every drop file of a source, in day order."""
    return sorted((root / source).glob(f"*/{FILE_NAMES[source]}"))


def parse_ts(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def csv_problem(source: str, fields: list[str]) -> str | None:
    """Why a CSV row would be quarantined, or None when it is well-formed."""
    columns = CONTRACT_COLUMNS[source]
    if len(fields) != len(columns):
        return "column_count"
    row = dict(zip(columns, fields, strict=True))
    if source in TIMESTAMP_COLUMN and parse_ts(row[TIMESTAMP_COLUMN[source]]) is None:
        return "timestamp"
    if source in INT_COLUMN:
        try:
            int(row[INT_COLUMN[source]])
        except ValueError:
            return "number"
    return None


def csv_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, fields) for each data line; line 1 is the header."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(i + 2, row) for i, row in enumerate(list(csv.reader(fh))[1:])]


def file_rows(path: Path, source: str) -> list[dict[str, str]]:
    """Well-formed rows of one CSV drop file as dicts."""
    return [
        dict(zip(CONTRACT_COLUMNS[source], fields, strict=True))
        for _, fields in csv_lines(path)
        if csv_problem(source, fields) is None
    ]


def csv_rows(root: Path, source: str) -> list[dict[str, str]]:
    """Well-formed rows of every drop file of a CSV source."""
    return [row for path in files(root, source) for row in file_rows(path, source)]


def as_utc(text: str) -> datetime:
    """Parse an ISO timestamp; naive means UTC (the CRM / web-shop contract)."""
    ts = parse_ts(text)
    assert ts is not None, text
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def json_events(root: Path) -> tuple[list[dict], int]:
    """(parsed web events, number of lines that are not valid JSON)."""
    events, broken = [], 0
    for path in files(root, "web_events"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                broken += 1
    return events, broken


def read_truth(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "_truth" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def campaign_orders(root: Path) -> set[tuple[str, str]]:
    """(source, order id) of every order the campaigns planted (`_truth/campaign_members.csv`)."""
    return {
        (r["order_source"], r["order_id"]) for r in read_truth(root, "campaign_members.csv") if r["order_id"]
    }


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under root."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
