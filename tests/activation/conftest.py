"""A small warehouse with the marts activation reads, built by SQL, and audience files to go with it."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

CUSTOMERS = 600
SEGMENTS = ("Lapsing customers", "High-value regulars", "Occasional buyers")
BANDS = ("low", "medium", "high")


def build_warehouse(path: Path, seed: int = 3, restricted: Path | None = None) -> pd.DataFrame:
    """Write the marts activation reads, and the pii and intermediate tables into the restricted database.

    restricted: the restricted database file (default: the configured one), contact values
    encrypted with the configured key as dbt writes them. Returns the customers' frame.
    """
    from customer_platform.config import get_settings
    from customer_platform.pii_cipher import register_encrypt_function
    from customer_platform.restricted_store import private_dir

    rng = np.random.default_rng(seed)
    ids = [f"U{i:05d}" for i in range(CUSTOMERS)]
    frame = pd.DataFrame(
        {
            "unified_customer_id": ids,
            "has_marketing_consent": rng.random(CUSTOMERS) < 0.7,
            "email": [
                f"person{i}@mail.example" if r < 0.85 else None for i, r in enumerate(rng.random(CUSTOMERS))
            ],
            "phone": [f"+447700{i:06d}" if r < 0.6 else None for i, r in enumerate(rng.random(CUSTOMERS))],
            "first_name": [f"Name{i}" for i in range(CUSTOMERS)],
            "segment_name": rng.choice(SEGMENTS, CUSTOMERS),
            "churn_risk_band": rng.choice(BANDS, CUSTOMERS),
            "clv_decile": rng.integers(1, 11, CUSTOMERS),
            "recency_days": rng.integers(0, 400, CUSTOMERS),
            "rfm_segment": rng.choice(("Champions", "At Risk", "Lost"), CUSTOMERS),
            "email_unsubscribes": (rng.random(CUSTOMERS) < 0.1).astype(int),
        }
    )
    frame["churn_probability"] = frame["churn_risk_band"].map({"low": 0.1, "medium": 0.5, "high": 0.85})
    settings = get_settings()
    restricted = restricted or settings.restricted_path
    private_dir(restricted.parent)
    con = duckdb.connect(str(path))
    try:
        register_encrypt_function(con, settings.pii_key)
        con.execute(f"attach '{restricted}' as restricted")
        con.register("people", frame)
        con.execute("create schema if not exists marts")
        for schema in ("pii", "intermediate"):
            con.execute(f"create schema if not exists restricted.{schema}")
        con.execute(
            "create table marts.dim_customers as select unified_customer_id, has_marketing_consent, "
            "email is not null as has_email, phone is not null as has_phone, 'GB' as country_code from people"
        )
        con.execute(
            "create table restricted.pii.customer_contacts as select unified_customer_id, pii_encrypt(email) as email, "
            "pii_encrypt(phone) as phone, pii_encrypt(first_name) as first_name, "
            "pii_encrypt('Surname') as last_name, null::varchar as postcode, null::varchar as loyalty_id, "
            "sha256('salt' || email) as email_hash, sha256('salt' || phone) as phone_hash, has_marketing_consent "
            "from people"
        )
        con.execute(
            "create table marts.customer_segments as select unified_customer_id, segment_name, "
            "'ml' as segment_kind from people"
        )
        con.execute(
            "create table marts.customer_rfm as select unified_customer_id, rfm_segment, "
            "cast(recency_days as integer) as recency_days from people"
        )
        con.execute(
            "create table marts.customer_predictions as select unified_customer_id, churn_probability, "
            "churn_risk_band, cast(clv_decile as integer) as clv_decile from people"
        )
        con.execute(
            "create table restricted.intermediate.int_email_events_aggregated_to_customers as select unified_customer_id, "
            "email_unsubscribes from people"
        )
        con.execute(
            "create table marts.fct_orders (order_id varchar, unified_customer_id varchar, ordered_at timestamp, "
            "order_date date, is_completed boolean, net_amount double)"
        )
    finally:
        con.close()
    return frame


def write_audience(directory: Path, name: str, body: str) -> Path:
    """Write `<directory>/<name>.yml` from an indented YAML body."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


WIN_BACK = """
    name: win_back
    description: High churn risk, top value deciles.
    owner: crm
    channel: email
    rule:
      all:
        - churn_risk_band: {in: [high, medium]}
        - clv_decile: {gte: 5}
    destinations:
      - {type: file}
    holdout_share: 0.2
    start_date: 2026-06-01
    attribution_days: 7
"""


@pytest.fixture()
def activation_env(isolated_settings, tmp_path, monkeypatch):
    """Settings over a fresh small warehouse and an audience folder holding `win_back`."""
    from customer_platform.config import reload_settings

    audiences = tmp_path / "audiences"
    write_audience(audiences, "win_back", WIN_BACK)
    monkeypatch.setenv("CDP_AUDIENCES_DIR", str(audiences))
    settings = reload_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    people = build_warehouse(settings.warehouse_path)
    yield settings, people, audiences
    reload_settings()


DAY = dt.date(2026, 6, 10)
