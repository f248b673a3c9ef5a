"""A source the platform has never seen, declared only as a contract YAML, and its silver rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

SOURCE = "loyalty_members"
TABLE = "loyalty_members"
SUITE = f"silver.{TABLE}"

CONTRACT = """
name: loyalty_members
description: Loyalty-scheme members (a test contract; no code knows it).
format: csv
natural_key: [member_id]
latest_by: updated_at
entity: customer_record
trust_rank: 7
record_id: member_id
identifiers:
  member_id: loyalty_id
  email: email
  phone: phone
  birth_date: birth_date
measures:
  first_seen_at: joined_at
  observed_at: updated_at
  country_code: country_code
fields:
  - {name: member_id, required: true}
  - {name: email}
  - {name: phone}
  - {name: birth_date, type: date}
  - {name: country}
  - {name: tier, required: true, allowed: [Bronze, Silver, Gold]}
  - {name: points, type: int, gt: 0}
  - {name: joined_at, type: timestamp}
  - {name: updated_at, type: timestamp, required: true}
silver:
  table: loyalty_members
  columns:
    - member_id: upper
    - email: email
    - email_sha256: {std: sha256, of: email}
    - phone: phone
    - birth_date: copy
    - country_code: {std: country, of: country}
    - tier: lower
    - points: copy
    - joined_at: copy
    - updated_at: copy
"""

SILVER_COLUMNS = (
    "member_id",
    "email",
    "email_sha256",
    "phone",
    "birth_date",
    "country_code",
    "tier",
    "points",
    "joined_at",
    "updated_at",
)

EXTRAS = """
expectations:
  - expect: ExpectColumnValuesToBeBetween
    severity: critical
    column: points
    max_value: 100000
"""


def write_contract(directory: Path, extras: str | None = None) -> Path:
    """The contract (and optionally its extras file) in a fresh contracts folder."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{SOURCE}.yml").write_text(CONTRACT, encoding="utf-8")
    if extras is not None:
        (directory / "expectations").mkdir(exist_ok=True)
        (directory / "expectations" / f"{SOURCE}.yml").write_text(extras, encoding="utf-8")
    return directory


def members(day: date, n: int) -> pd.DataFrame:
    """Known-good silver rows of the contract for one ingest date."""
    rows = []
    for k in range(n):
        email = f"member{k}@example.com"
        rows.append(
            {
                "member_id": f"M{k:06d}",
                "email": email,
                "email_sha256": hashlib.sha256(email.encode()).hexdigest(),
                "phone": f"+4477008{k:05d}",
                "birth_date": date(1980, 1, 1) + timedelta(days=k),
                "country_code": "GB",
                "tier": ["bronze", "silver", "gold"][k % 3],
                "points": 10 + k,
                "joined_at": datetime.combine(day - timedelta(days=90), time(9), tzinfo=UTC),
                "updated_at": datetime.combine(day, time(11, k % 60), tzinfo=UTC),
                "_source_file": f"landing/{SOURCE}/{day}/{SOURCE}.csv",
                "_ingest_date": day,
                "_run_id": f"test__{day}",
                "_ingested_at": datetime.combine(day + timedelta(days=1), time(1), tzinfo=UTC),
            }
        )
    return pd.DataFrame(rows)


def broken_members(day: date, n: int) -> pd.DataFrame:
    """Rows breaking the contract: a repeated key, malformed emails, an unknown tier, a huge balance."""
    frame = members(day, n)
    frame.loc[frame.index[1], "member_id"] = frame.loc[frame.index[0], "member_id"]
    frame.loc[frame.index[:5], "email"] = [f"not-an-email-{k}" for k in range(5)]
    frame.loc[frame.index[2], "tier"] = "platinum"
    frame.loc[frame.index[3], "points"] = 5_000_000
    return frame
