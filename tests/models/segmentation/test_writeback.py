"""Write-back: one transaction, idempotent per logical date, previous table kept on failure."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

import models.segmentation.segment_tables as segment_tables
from models.segmentation.population import lifecycle_segment_table
from models.segmentation.scoring import SEGMENT_COLUMNS, stability_vs_previous, write_segments
from models.segmentation.segment_tables import INPUT_DATES_KEPT, previous_inputs
from models.segmentation.stability import MATERIAL_CHANGE, unchanged_but_moved

SEGMENTS = [
    {"segment_id": 0, "name": "High-value regulars", "description": "spends a lot"},
    {"segment_id": 1, "name": "Window shoppers", "description": "browses"},
]
FEATURES = ["frequency", "sessions"]
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


def _inputs(assignments, shift=0.0):
    values = np.column_stack(
        [np.arange(len(assignments)) % 7 + shift, np.arange(len(assignments)) % 3 + shift]
    )
    return pd.DataFrame({"unified_customer_id": assignments["unified_customer_id"], "inputs": list(values)})


def _write(assignments, day=DAY, version=1, at=None, segments=SEGMENTS, inputs=None):
    write_segments(
        assignments,
        segments,
        logical_date=day,
        model_name="customer_segmentation",
        model_version=version,
        mlflow_run_id=f"run{version}",
        assigned_at=at or dt.datetime(2026, 7, 1, 3, 0),
        inputs=inputs,
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
    "segment_kind",
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

    monkeypatch.setattr(segment_tables, "_append_history", crash)
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


def test_lifecycle_rows_carry_their_kind_and_no_distance(warehouse):
    assignments = _assignments(n=10)
    assignments.loc[[0, 1], ["segment_id", "distance"]] = [-1, np.nan]
    _write(assignments, segments=SEGMENTS + lifecycle_segment_table())
    current = _read(warehouse, "marts.customer_segments").set_index("unified_customer_id")
    assert current.loc[["U00000", "U00001"], "segment_kind"].eq("lifecycle").all()
    assert current.loc[["U00000", "U00001"], "segment_name"].eq("Anonymous visitors").all()
    assert current.loc[["U00000", "U00001"], "distance"].isna().all()
    assert current.drop(["U00000", "U00001"])["segment_kind"].eq("ml").all()


def test_duplicate_segment_names_are_refused(warehouse):
    twins = [SEGMENTS[0], {"segment_id": 1, "name": SEGMENTS[0]["name"], "description": "again"}]
    with pytest.raises(ValueError, match="not unique"):
        _write(_assignments(), segments=twins)


def test_a_history_table_from_before_segment_kinds_is_upgraded(warehouse):
    con = duckdb.connect(str(warehouse.warehouse_path))
    old_columns = [c for c in SEGMENT_COLUMNS if c != "segment_kind"]
    con.execute("create schema marts")
    ddl = ", ".join(f"{c} {SEGMENT_COLUMNS[c]}" for c in old_columns)
    con.execute(f"create table marts.segment_history ({ddl})")
    con.execute(
        "insert into marts.segment_history values ('U0', 0, 'Old', 'old', 0.1, 'm', 1, 'r', '2026-06-01', '2026-06-02')"
    )
    con.close()
    _write(_assignments(n=5))
    history = _read(warehouse, "marts.segment_history")
    assert len(history) == 6 and history.loc[history["segment_name"] == "Old", "segment_kind"].isna().all()
    assert history.loc[history["segment_name"] != "Old", "segment_kind"].eq("ml").all()


def test_inputs_are_kept_for_the_latest_dates_and_read_back(warehouse):
    assignments = _assignments(n=20)
    for offset in range(INPUT_DATES_KEPT + 2):
        _write(assignments, day=DAY + dt.timedelta(days=offset), inputs=_inputs(assignments))
    kept = _read(warehouse, "marts.segment_inputs")
    assert kept["logical_date"].nunique() == INPUT_DATES_KEPT
    assert len(kept) == 20 * INPUT_DATES_KEPT
    last = DAY + dt.timedelta(days=INPUT_DATES_KEPT + 1)
    previous = previous_inputs(last, FEATURES)
    assert list(previous.columns) == ["unified_customer_id", "segment_id", *FEATURES]
    assert len(previous) == 20 and previous["frequency"].max() == 6
    assert previous_inputs(last, ["frequency"]).empty  # another model's inputs: not comparable


def test_segment_moves_count_only_for_customers_whose_inputs_held_still():
    from sklearn.preprocessing import StandardScaler

    previous = pd.DataFrame(
        {"unified_customer_id": list("abcd"), "segment_id": [0, 0, 1, 1], "frequency": [1.0, 2, 3, 4]}
    )
    scaler = StandardScaler().fit(previous[["frequency"]])
    step = float(scaler.scale_[0])
    current = previous.assign(
        segment_id=[1, 0, 1, 0],  # a and d moved
        frequency=[
            1.0,
            2 + 0.5 * MATERIAL_CHANGE * step,
            3,
            4 + 2 * MATERIAL_CHANGE * step,
        ],  # d changed a lot
    )
    share, steady = unchanged_but_moved(current, previous, scaler, ["frequency"])
    assert steady == 3 and share == pytest.approx(1 / 3)  # a moved without reason; d had a reason
    assert unchanged_but_moved(current, previous.iloc[:0], scaler, ["frequency"]) == (None, 0)
