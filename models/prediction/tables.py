"""The prediction tables in the warehouse (contract, docs/contracts.md), written in ONE transaction.

- `marts.customer_predictions`: the latest scored date, one row per known buyer;
- `marts.prediction_history`: the same rows for every scored date (replaced per date: idempotent);
- `marts.customer_predictive_segments`: the predictive segments beside the descriptive one
  (At-Risk by churn probability, value tier by CLV decile), one row per known buyer;
- `marts.customer_prediction_drivers`: up to three plain-language drivers per At-Risk customer.
Table and column names are code constants, never user input.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from customer_platform.warehouse_tables import (
    column_ddl,
    ensure_table,
    replace_rows,
    table_exists,
    warehouse_transaction,
)
from models.prediction.snapshot import KEY

PREDICTIONS_TABLE = "marts.customer_predictions"
HISTORY_TABLE = "marts.prediction_history"
SEGMENTS_TABLE = "marts.customer_predictive_segments"
DRIVERS_TABLE = "marts.customer_prediction_drivers"
DESCRIPTIVE_SEGMENTS_TABLE = "marts.customer_segments"

PREDICTION_COLUMNS: dict[str, str] = {
    KEY: "varchar",
    "logical_date": "date",
    "churn_probability": "double",
    "churn_risk_band": "varchar",
    "is_at_risk": "boolean",
    "p_alive": "double",
    "expected_orders_90d": "double",
    "predicted_clv_12m": "double",
    "clv_decile": "integer",
    "churn_model_version": "integer",
    "churn_mlflow_run_id": "varchar",
    "clv_model_version": "integer",
    "clv_mlflow_run_id": "varchar",
    "assigned_at": "timestamp",
}
SEGMENT_COLUMNS: dict[str, str] = {
    KEY: "varchar",
    "logical_date": "date",
    "churn_segment": "varchar",
    "value_tier": "varchar",
    "descriptive_segment_name": "varchar",
}
DRIVER_COLUMNS: dict[str, str] = {
    KEY: "varchar",
    "logical_date": "date",
    "driver_rank": "integer",
    "feature": "varchar",
    "driver_label": "varchar",
    "driver_text": "varchar",
    "feature_value": "double",
    "typical_value": "double",
    "shap_value": "double",
    "churn_model_version": "integer",
}

AT_RISK = "At-Risk"
NOT_AT_RISK = "Not at risk"


def risk_band(probability: np.ndarray, at_risk_threshold: float) -> np.ndarray:
    """`high` above the At-Risk threshold, `medium` above half of it, else `low`."""
    p = np.asarray(probability, dtype=float)
    return np.where(p > at_risk_threshold, "high", np.where(p > at_risk_threshold / 2, "medium", "low"))


def _staged(con, name: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    con.register(f"{name}_frame", frame[list(columns)])
    select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
    con.execute(f"create or replace temp table {name} as select {select} from {name}_frame")


def write_predictions(
    predictions: pd.DataFrame, drivers: pd.DataFrame, logical_date: dt.date
) -> dict[str, int]:
    """Replace the current tables and this date's history rows; returns rows written per table.

    predictions: `PREDICTION_COLUMNS` per customer; drivers: `DRIVER_COLUMNS` per At-Risk driver.
    """
    with warehouse_transaction() as con:
        _staged(con, "prediction_rows", predictions, PREDICTION_COLUMNS)
        _staged(con, "driver_rows", drivers, DRIVER_COLUMNS)
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table {PREDICTIONS_TABLE} as select * from prediction_rows order by {KEY}"
        )
        ensure_table(con, HISTORY_TABLE, PREDICTION_COLUMNS)
        replace_rows(con, HISTORY_TABLE, "prediction_rows", {"logical_date": logical_date})
        con.execute(
            f"create or replace table {DRIVERS_TABLE} as select * from driver_rows order by {KEY}, driver_rank"
        )
        descriptive = (
            f"left join {DESCRIPTIVE_SEGMENTS_TABLE} s on s.{KEY} = p.{KEY}"
            if table_exists(con, DESCRIPTIVE_SEGMENTS_TABLE)
            else "left join (select null::varchar as unified_customer_id, null::varchar as segment_name) s on false"
        )
        con.execute(f"create or replace table {SEGMENTS_TABLE} ({column_ddl(SEGMENT_COLUMNS)})")
        con.execute(
            f"insert into {SEGMENTS_TABLE} select p.{KEY}, p.logical_date, "
            f"case when p.is_at_risk then '{AT_RISK}' else '{NOT_AT_RISK}' end, p.value_tier, s.segment_name "
            f"from (select *, {_tier_sql()} as value_tier from prediction_rows) p {descriptive} order by p.{KEY}"
        )
        return {
            table: con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in (PREDICTIONS_TABLE, SEGMENTS_TABLE, DRIVERS_TABLE)
        } | {
            HISTORY_TABLE: con.execute(
                f"select count(*) from {HISTORY_TABLE} where logical_date = ?", [logical_date]
            ).fetchone()[0]
        }


def _tier_sql() -> str:
    return (
        "case when clv_decile >= 10 then 'Top 10 %' when clv_decile >= 8 then 'High value' "
        "when clv_decile >= 4 then 'Mid value' else 'Low value' end"
    )
