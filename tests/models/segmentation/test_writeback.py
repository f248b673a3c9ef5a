"""Write-back: one transaction, idempotent per logical date, previous table kept on failure."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

import models.segmentation.scoring as scoring
from models.segmentation.scoring import SEGMENT_COLUMNS, stability_vs_previous, write_segments

SEGMENTS = [
    {"segment_id": 0, "name": "High-value regulars", "description": "spends a lot"},
    {"segment_id": 1, "name": "Window shoppers", "description": "browses"},
]
DAY = dt.date(2026, 6, 30)


def _assignments(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "unified_customer_id": [f"U{i:05d}" for i in range(n)],
            "segment_id": rng.integers(0, 2, n).astype("int32"),
            "distance": rng.random(n),
        }
    )


def _write(assignments, day=DAY, version=1, at=None):
    write_segments(
        assignments,
        SEGMENTS,
        logical_date=day,
        model_name="customer_segmentation",
        model_version=version,
        mlflow_run_id=f"run{version}",
        assigned_at=at or dt.datetime(2026, 7, 1, 3, 0),
    )


def _read(settings, table):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(f"select * from {table} order by all").df()
    finally:
        con.close()


@pytest.fixture()
def warehouse(isolated_settings):
    isolated_settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return isolated_settings


CONTRACT_COLUMNS = [
    "unified_customer_id",
    "segment_id",
    "segment_name",
    "segment_description",
    "distance",
    "model_name",
    "model_version",
    "mlflow_run_id",
    "logical_date",
    "assigned_at",
]  # docs/contracts.md, marts.customer_segments


def test_columns_are_the_contract(warehouse):
    assert list(SEGMENT_COLUMNS) == CONTRACT_COLUMNS
    _write(_assignments())
    current = _read(warehouse, "marts.customer_segments")
    assert list(current.columns) == list(SEGMENT_COLUMNS)
    assert list(_read(warehouse, "marts.segment_history").columns) == list(SEGMENT_COLUMNS)
    assert current.loc[current["segment_id"] == 1, "segment_name"].eq("Window shoppers").all()


def test_rerunning_a_date_is_idempotent(warehouse):
    _write(_assignments(), at=dt.datetime(2026, 7, 1, 3, 0))
    first = _read(warehouse, "marts.customer_segments")
    _write(_assignments(), at=dt.datetime(2026, 7, 1, 9, 30))
    second = _read(warehouse, "marts.customer_segments")
    pd.testing.assert_frame_equal(first.drop(columns="assigned_at"), second.drop(columns="assigned_at"))
    history = _read(warehouse, "marts.segment_history")
    assert len(history) == 200
    assert not history.duplicated(["unified_customer_id", "logical_date", "model_version"]).any()


def test_history_accumulates_dates_and_current_holds_the_latest(warehouse):
    _write(_assignments(seed=0), day=DAY)
    _write(_assignments(n=150, seed=1), day=DAY + dt.timedelta(days=1))
    assert len(_read(warehouse, "marts.customer_segments")) == 150
    history = _read(warehouse, "marts.segment_history")
    assert history.groupby("logical_date").size().tolist() == [200, 150]


def test_failure_mid_write_leaves_previous_tables_intact(warehouse, monkeypatch):
    _write(_assignments(seed=0), day=DAY)
    before_current = _read(warehouse, "marts.customer_segments")
    before_history = _read(warehouse, "marts.segment_history")

    def crash(con, logical_date, model_version):
        # the current table has already been replaced inside the transaction at this point
        assert con.execute("select count(*) from marts.customer_segments").fetchone()[0] == 120
        raise RuntimeError("disk full")

    monkeypatch.setattr(scoring, "_append_history", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        _write(_assignments(n=120, seed=5), day=DAY + dt.timedelta(days=1), version=2)
    pd.testing.assert_frame_equal(_read(warehouse, "marts.customer_segments"), before_current)
    pd.testing.assert_frame_equal(_read(warehouse, "marts.segment_history"), before_history)


def test_unknown_segment_id_is_refused(warehouse):
    _write(_assignments(seed=0))
    bad = _assignments(seed=1)
    bad.loc[0, "segment_id"] = 9
    with pytest.raises(RuntimeError, match="without a persona"):
        _write(bad, day=DAY + dt.timedelta(days=1))
    assert _read(warehouse, "marts.customer_segments")["logical_date"].eq(pd.Timestamp(DAY)).all()


def test_stability_compares_customers_present_on_both_dates():
    previous = pd.DataFrame({"unified_customer_id": ["a", "b", "c", "d"], "segment_id": [0, 0, 1, 1]})
    current = pd.DataFrame({"unified_customer_id": ["b", "a", "d", "c", "e"], "segment_id": [5, 5, 6, 6, 7]})
    ari, compared = stability_vs_previous(current, previous)
    assert compared == 4 and ari == pytest.approx(1.0)
    assert stability_vs_previous(current, previous.iloc[:0]) == (None, 0)
