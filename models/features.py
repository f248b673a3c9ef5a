"""The feature table contract as `models/` reads it, and the read itself.

Column names follow `docs/contracts.md` (`marts.customer_features`). Every model family
reads this one table and picks its own inputs from it (segmentation:
`models.segmentation.pipeline.CLUSTER_FEATURES`); what the columns are, how the table is
read for one logical date, its data version (hash) and the seeded evaluation sample are
shared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from customer_platform.config import get_settings
from customer_platform.contracts import CUSTOMER_FEATURE_COLUMNS
from customer_platform.feature_sources import FEATURE_SOURCES, features_with_sources

__all__ = ["FEATURE_SOURCES", "features_with_sources"]  # re-exported for the model families

FEATURES_TABLE = "marts.customer_features"
KEY_COLUMN = "unified_customer_id"

#: Every numeric column of `marts.customer_features` (contract), in contract order.
FEATURE_COLUMNS: tuple[str, ...] = CUSTOMER_FEATURE_COLUMNS

#: All contract columns of the table, in order.
CONTRACT_COLUMNS: tuple[str, ...] = (KEY_COLUMN, "logical_date", *FEATURE_COLUMNS)

#: Heavy-tailed money, count and day columns: log1p before scaling.
LOG_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "sessions",
    "product_views",
    "add_to_carts",
    "emails_sent",
    "days_since_last_engagement",
)


class FeaturesNotFoundError(LookupError):
    """The feature table holds no rows for the requested logical date."""


def parse_logical_date(value: str | dt.date) -> dt.date:
    """Return `value` as a date; strings must be ISO `YYYY-MM-DD`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_features(logical_date: str | dt.date, features: Sequence[str] | None = None) -> pd.DataFrame:
    """Read `marts.customer_features` for one logical date, ordered by customer id.

    features: the feature columns to read (default: all); the key and logical_date always come.
    Opens a read-only DuckDB connection to the warehouse and closes it before returning.
    Raises FeaturesNotFoundError when the table has no rows for that date (stale or
    missing features must stop a run, not be scored silently).
    """
    day = parse_logical_date(logical_date)
    wanted = list(FEATURE_COLUMNS if features is None else features)
    unknown = sorted(set(wanted) - set(FEATURE_COLUMNS))
    if unknown:
        raise ValueError(f"not {FEATURES_TABLE} contract columns: {unknown}")
    columns = ", ".join([KEY_COLUMN, "logical_date", *wanted])
    con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
    try:
        frame = con.execute(
            f"select {columns} from {FEATURES_TABLE} where logical_date = ? order by {KEY_COLUMN}",
            [day],
        ).df()
        if frame.empty:
            dates = [
                str(r[0])
                for r in con.execute(f"select distinct logical_date from {FEATURES_TABLE}").fetchall()
            ]
            raise FeaturesNotFoundError(
                f"{FEATURES_TABLE} has no rows for logical_date={day}; dates present: {dates or 'none'}"
            )
    finally:
        con.close()
    frame[wanted] = frame[wanted].astype("float64")
    return frame


def feature_table_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the feature rows (order-independent of the index): the data version."""
    ordered = frame.sort_values(KEY_COLUMN, kind="stable")[list(CONTRACT_COLUMNS)].astype(
        {"logical_date": "string"}
    )
    row_hashes = pd.util.hash_pandas_object(ordered, index=False).to_numpy(dtype=np.uint64)
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()


def evaluation_sample_index(ids: pd.Series, size: int, seed: int) -> np.ndarray:
    """Positions of a fixed-size, seeded sample that is stable across dates.

    Rows are ranked by a seeded hash of the customer id, so the same customers stay in
    the sample from one run to the next as long as they exist.
    """
    if len(ids) <= size:
        return np.arange(len(ids))
    keys = pd.util.hash_pandas_object(ids.astype("string") + f"|{seed}", index=False).to_numpy()
    chosen = np.argpartition(keys, size - 1)[:size]
    return np.sort(chosen)
