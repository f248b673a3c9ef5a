"""What a model scored, per input and reference bin: `marts.model_input_profiles` (contract).

Scoring (`models/`) bins the inputs it scored with the reference bins stored with the scoring
version (`customer_platform.drift`) and writes one row per model version, input and bin for the
logical date; monitoring reads the rows back to compute the population stability index against
the champion's reference. Only counts are kept, never a customer row, so drift can be measured
on any later night without keeping anyone's inputs. Re-scoring a date replaces that date's rows
of the same model version (idempotent).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from customer_platform.drift import bin_counts, bin_labels, shares_of
from customer_platform.warehouse_tables import ensure_table, replace_rows, table_exists, warehouse_transaction

PROFILES_TABLE = "marts.model_input_profiles"
#: Columns (contract, docs/contracts.md) with their DuckDB types.
PROFILE_COLUMNS: dict[str, str] = {
    "logical_date": "date",
    "model_name": "varchar",
    "model_version": "varchar",
    "feature": "varchar",
    "bin_index": "integer",
    "bin_label": "varchar",
    "customers": "bigint",
    "share": "double",
    "reference_share": "double",
}


def profile_rows(
    references: dict[str, dict[str, Any]], inputs: pd.DataFrame, logical_date: dt.date, model_name: str,
    model_version: str,
) -> pd.DataFrame:  # fmt: skip
    """One row per input of `references` and bin: today's customers and share beside the reference share."""
    frames = []
    for feature, reference in references.items():
        if feature not in inputs:
            continue
        counts = bin_counts(reference, inputs[feature])
        frames.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "bin_index": range(len(counts)),
                    "bin_label": bin_labels(reference),
                    "customers": counts,
                    "share": shares_of(counts),
                    "reference_share": reference["shares"],
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(PROFILE_COLUMNS)[3:])
    return rows.assign(logical_date=logical_date, model_name=model_name, model_version=str(model_version))[
        list(PROFILE_COLUMNS)
    ]


def write_input_profile(
    logical_date: dt.date, model_name: str, model_version: str, references: dict[str, dict] | None,
    inputs: pd.DataFrame,
) -> int:  # fmt: skip
    """Replace the date's profile rows of one model version; returns rows written.

    references: the scoring version's reference bins (None for a version trained before they
    were stored: nothing is written, and monitoring reports `no_reference`).
    """
    if not references:
        return 0
    rows = profile_rows(references, inputs, logical_date, model_name, model_version)
    match = {"logical_date": logical_date, "model_name": model_name, "model_version": str(model_version)}
    with warehouse_transaction({"profile_frame": rows}) as con:
        ensure_table(con, PROFILES_TABLE, PROFILE_COLUMNS)
        select = ", ".join(f"cast({c} as {t}) as {c}" for c, t in PROFILE_COLUMNS.items())
        con.execute(f"create or replace temp table profile_rows as select {select} from profile_frame")
        replace_rows(con, PROFILES_TABLE, "profile_rows", match)
    return len(rows)


def read_input_profiles(con: duckdb.DuckDBPyConnection, logical_date: dt.date) -> pd.DataFrame:
    """Every profile row of one logical date (empty, with the columns, before the table exists)."""
    if not table_exists(con, PROFILES_TABLE):
        return pd.DataFrame(columns=list(PROFILE_COLUMNS))
    return con.execute(
        f"select * from {PROFILES_TABLE} where logical_date = ? order by model_name, model_version, feature, "
        "bin_index",
        [logical_date],
    ).df()
