"""A small warehouse holding every table the dashboard reads, built with SQL from seeded frames.

The tables take their columns from the writers' own constants (segments, predictions, audiences,
campaign results, gate results, monitoring), so a schema change there reaches the dashboard's
tests. Personal data (emails, names) is planted in `pii.customer_contacts` so the tests can prove
it never reaches the page. Shared through the `dashboard_warehouse` fixture (tests/dashboard/conftest.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from activation.measurement import RESULT_COLUMNS
from activation.membership import MEMBER_COLUMNS
from customer_platform.warehouse_tables import column_ddl
from expectations.dq_store import DDL as DQ_DDL
from models.prediction.tables import PREDICTION_COLUMNS
from models.segmentation.segment_tables import SEGMENT_COLUMNS
from monitoring.results import COLUMNS as MONITORING_COLUMNS

CUSTOMERS = 400
DAY, PREVIOUS_DAY = dt.date(2026, 6, 30), dt.date(2026, 6, 29)
ML_SEGMENTS = {1: "Big spenders", 2: "Bargain hunters", 3: "Sleepy regulars"}
LIFECYCLE_SEGMENTS = {-1: "Anonymous visitors", -2: "Prospects"}
STAGES = ("anonymous", "prospect", "new", "active", "at_risk", "lapsed")
SOURCES = ("crm_customers", "web_orders", "pos_orders")


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    con.register("frame", frame)
    con.execute(f"create table {table} ({column_ddl(columns)})")
    con.execute(f"insert into {table} by name select * from frame")
    con.unregister("frame")


def _segments(rng: np.random.Generator, ids: list[str], day: dt.date, version: int) -> pd.DataFrame:
    segment_ids = rng.choice([*ML_SEGMENTS, *LIFECYCLE_SEGMENTS], len(ids), p=[0.3, 0.25, 0.2, 0.15, 0.1])
    names = {**ML_SEGMENTS, **LIFECYCLE_SEGMENTS}
    return pd.DataFrame(
        {
            "unified_customer_id": ids,
            "segment_id": segment_ids,
            "segment_kind": ["ml" if s > 0 else "lifecycle" for s in segment_ids],
            "segment_name": [names[s] for s in segment_ids],
            "segment_description": [f"persona of {names[s].lower()}" for s in segment_ids],
            "distance": rng.random(len(ids)),
            "model_name": "customer_segmentation",
            "model_version": version,
            "mlflow_run_id": f"run{version}",
            "logical_date": day,
            "assigned_at": pd.Timestamp(day),
        }
    )


def _identity(rng: np.random.Generator, ids: list[str]) -> pd.DataFrame:
    records_per_customer = rng.choice([1, 2, 3], len(ids), p=[0.6, 0.3, 0.1])
    rows = []
    for customer, n in zip(ids, records_per_customer, strict=True):
        for k in range(n):
            method = "singleton" if n == 1 else ("probabilistic" if k == 2 else "deterministic")
            probability = float(rng.uniform(0.5, 0.99)) if method == "probabilistic" else 1.0
            rows.append((SOURCES[k], f"{customer}-{k}", customer, method, probability, int(n)))
    return pd.DataFrame(
        rows,
        columns=[
            "source",
            "source_record_id",
            "unified_customer_id",
            "match_method",
            "match_probability",
            "cluster_size",
        ],
    )


def _dq() -> pd.DataFrame:
    rows = []
    for day in (PREVIOUS_DAY, DAY):
        for gate, suite, n, failing in (
            ("silver", "silver.orders", 12, 1),
            ("marts", "marts.customer_rfm", 8, 0),
            ("marts", "marts.fct_orders", 5, 2),
        ):
            failing += day == PREVIOUS_DAY  # an older date that must not count
            rows += [
                ("r", day, gate, suite, f"expect_{i}", f"col{i}", "warning", i >= failing, None)
                for i in range(n)
            ]
    return pd.DataFrame(
        rows,
        columns=[
            "run_id",
            "logical_date",
            "gate",
            "suite",
            "expectation",
            "column_name",
            "severity",
            "success",
            "observed_value",
        ],
    )


def _monitoring() -> pd.DataFrame:
    rows = []
    for day, shift in ((PREVIOUS_DAY, 0.0), (DAY, 0.05)):
        for feature, psi in (("recency_days", 0.02), ("frequency", 0.15), ("monetary", 0.31)):
            value = psi + shift
            status = "critical" if value >= 0.25 else "warning" if value >= 0.1 else "ok"
            rows.append((day, "feature_psi", "customer_segmentation", "1", feature, value, 0.1, 0.25, status))
        rows.append(
            (day, "segment_size_shift", "customer_segments", None, "Big spenders", 0.04, 0.1, 0.2, "ok")
        )
        rows.append(
            (
                day,
                "kpi_anomaly",
                "customer_segments",
                None,
                "Big spenders|aov",
                None,
                3.0,
                4.0,
                "insufficient_history",
            )
        )
        rows.append(
            (day, "feature_psi", "customer_churn", "2", "tenure_days", None, 0.1, 0.25, "no_reference")
        )
    frame = pd.DataFrame(rows, columns=list(MONITORING_COLUMNS)[:9])
    return frame.assign(detail="aggregate check", computed_at=pd.Timestamp(DAY))


def build_dashboard_warehouse(path: Path, seed: int = 11, without: tuple[str, ...] = ()) -> None:
    """Write the marts (and a `pii` table) the dashboard reads; `without` names tables to leave out."""
    rng = np.random.default_rng(seed)
    ids = [f"U{i:05d}" for i in range(CUSTOMERS)]
    current = _segments(rng, ids, DAY, 2)
    # The previous run, and a first assignment on DAY rewritten by a retrain (version 2 counts).
    history = pd.concat(
        [_segments(rng, ids[: CUSTOMERS - 40], PREVIOUS_DAY, 1), _segments(rng, ids, DAY, 1), current]
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(900)],
            "unified_customer_id": [None if i % 30 == 0 else ids[i % CUSTOMERS] for i in range(900)],
            "net_amount": rng.gamma(2.0, 40.0, 900).round(2),
            "is_completed": rng.random(900) < 0.9,
        }
    )
    buyers = current[current["segment_kind"] == "ml"]["unified_customer_id"]
    predictions = pd.DataFrame(
        {
            "unified_customer_id": buyers,
            "logical_date": DAY,
            "churn_probability": rng.random(len(buyers)),
            "predicted_clv_12m": rng.gamma(2.0, 100.0, len(buyers)),
        }
    )
    predictions["is_at_risk"] = predictions["churn_probability"] > 0.7
    audiences = pd.DataFrame(
        {
            "audience_name": ["win_back"] * 60 + ["vip_preview"] * 25,
            "unified_customer_id": ids[:60] + ids[100:125],
            "channel": "email",
            "is_holdout": [i % 5 == 0 for i in range(85)],
            "logical_date": DAY,
        }
    )
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["win_back", "win_back", "vip_preview"],
            "segment_name": ["All", "Big spenders", "All"],
            "logical_date": DAY,
            "treatment_members": [48, 20, 20],
            "holdout_members": [12, 5, 5],
            "conversion_lift_abs": [0.08, 0.05, -0.01],
            "conversion_lift_abs_low": [0.01, -0.05, -0.2],
            "conversion_lift_abs_high": [0.15, 0.15, 0.18],
        }
    )
    lifecycle = pd.DataFrame(
        {"unified_customer_id": ids, "lifecycle_stage": rng.choice(STAGES, CUSTOMERS), "logical_date": DAY}
    )
    lifecycle["lifecycle_stage_rank"] = lifecycle["lifecycle_stage"].map(
        {s: i + 1 for i, s in enumerate(STAGES)}
    )
    contacts = pd.DataFrame(
        {
            "unified_customer_id": ids,
            "email": [f"person{i}@mail.example" for i in range(CUSTOMERS)],
            "first_name": [f"Firstname{i}" for i in range(CUSTOMERS)],
        }
    )
    tables = {
        "marts.customer_segments": (SEGMENT_COLUMNS, current),
        "marts.segment_history": (SEGMENT_COLUMNS, history),
        "marts.fct_orders": (
            {
                "order_id": "varchar",
                "unified_customer_id": "varchar",
                "net_amount": "double",
                "is_completed": "boolean",
            },
            orders,
        ),
        "marts.customer_predictions": (PREDICTION_COLUMNS, predictions),
        "marts.customer_lifecycle": (
            {
                "unified_customer_id": "varchar",
                "lifecycle_stage": "varchar",
                "lifecycle_stage_rank": "integer",
                "logical_date": "date",
            },
            lifecycle,
        ),
        "marts.customer_identity_map": (
            {
                "source": "varchar",
                "source_record_id": "varchar",
                "unified_customer_id": "varchar",
                "match_method": "varchar",
                "match_probability": "double",
                "cluster_size": "integer",
            },
            _identity(rng, ids),
        ),
        "marts.model_monitoring": (MONITORING_COLUMNS, _monitoring()),
        "marts.audience_members": (MEMBER_COLUMNS, audiences),
        "marts.campaign_results": (RESULT_COLUMNS, campaigns),
        "pii.customer_contacts": (
            {"unified_customer_id": "varchar", "email": "varchar", "first_name": "varchar"},
            contacts,
        ),
    }
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists pii")
        for table, (columns, frame) in tables.items():
            if table not in without:
                _create(con, table, columns, frame)
        if "marts.dq_results" not in without:
            con.execute(DQ_DDL)
            con.register("dq", _dq())
            con.execute("insert into marts.dq_results by name select * from dq")
    finally:
        con.close()
