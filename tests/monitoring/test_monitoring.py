"""`marts.model_monitoring` on a small warehouse: drift, segment shifts, stability, KPI anomalies, idempotency."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import pandas as pd
import pytest

from customer_platform.model_names import CHURN_MODEL, CLV_MODEL, SEGMENTATION_MODEL
from monitoring.results import (
    CHECK_TYPES,
    COLUMNS,
    MONITORING_TABLE,
    STATUSES,
    Finding,
    classify,
)
from monitoring.run import monitor_models
from tests.monitoring.conftest import DATES, LAST


def _rows(settings, day=None) -> pd.DataFrame:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        where = "where logical_date = ?" if day else ""
        return con.execute(
            f"select * from {MONITORING_TABLE} {where} order by check_type, model_name, subject",
            [day] if day else [],
        ).df()
    finally:
        con.close()


def _one(rows: pd.DataFrame, check_type: str, subject: str, model: str | None = None) -> pd.Series:
    match = rows[(rows["check_type"] == check_type) & (rows["subject"] == subject)]
    if model:
        match = match[match["model_name"] == model]
    assert len(match) == 1, (check_type, subject, match)
    return match.iloc[0]


def test_the_table_keeps_its_contract(small_warehouse):
    settings, lookup = small_warehouse
    monitor_models(LAST.isoformat(), lookup)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        described = con.execute(f"describe {MONITORING_TABLE}").fetchall()
    finally:
        con.close()
    assert [(name, kind) for name, kind, *_ in described] == [
        ("logical_date", "DATE"),
        ("check_type", "VARCHAR"),
        ("model_name", "VARCHAR"),
        ("model_version", "VARCHAR"),
        ("subject", "VARCHAR"),
        ("value", "DOUBLE"),
        ("warning_threshold", "DOUBLE"),
        ("critical_threshold", "DOUBLE"),
        ("status", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("computed_at", "TIMESTAMP"),
    ]
    assert list(COLUMNS) == [name for name, *_ in described]
    rows = _rows(settings)
    assert set(rows["check_type"]) == set(CHECK_TYPES), "every check ran on the last date"
    assert set(rows["status"]) <= set(STATUSES)
    assert rows["warning_threshold"].notna().all() and rows["critical_threshold"].notna().all()
    assert rows["detail"].str.len().gt(0).all()
    assert not rows["detail"].str.contains("U0").any() and not rows["subject"].str.contains("U0").any(), (
        "no customer id in any row"
    )


def test_feature_drift_against_the_champion_reference(small_warehouse):
    settings, lookup = small_warehouse
    summary = monitor_models(LAST.isoformat(), lookup)
    rows = _rows(settings, LAST)
    tenure = _one(rows, "feature_psi", "tenure_days", CHURN_MODEL)
    orders = _one(rows, "feature_psi", "orders_365d", CHURN_MODEL)
    assert tenure["status"] == "critical" and tenure["value"] >= 0.25 and tenure["model_version"] == "2"
    assert orders["status"] == "ok" and orders["value"] < 0.1
    assert (tenure["warning_threshold"], tenure["critical_threshold"]) == (0.1, 0.25)
    legacy = _one(rows, "feature_psi", "all inputs", SEGMENTATION_MODEL)
    assert legacy["status"] == "no_reference" and pd.isna(legacy["value"]) and legacy["model_version"] == "1"
    assert "before reference bins" in legacy["detail"]
    untrained = _one(rows, "feature_psi", "all inputs", CLV_MODEL)
    assert untrained["status"] == "insufficient_history" and pd.isna(untrained["model_version"])
    assert json.loads(json.dumps(summary)) == summary, "plain JSON for XCom"
    assert summary["retraining_requested"]
    assert any("tenure_days" in reason for reason in summary["retraining_reasons"])


def test_segment_shift_share_change_and_stability(small_warehouse):
    settings, lookup = small_warehouse
    monitor_models(LAST.isoformat(), lookup)
    rows = _rows(settings, LAST)
    shift = _one(rows, "segment_size_shift", "all segments")
    assert shift["model_name"] == "customer_segments" and shift["status"] in {"warning", "critical"}
    loyal = _one(rows, "segment_share_change", "Loyal")
    bargain = _one(rows, "segment_share_change", "Bargain hunters")
    assert loyal["value"] == pytest.approx(-15.0) and bargain["value"] == pytest.approx(15.0)
    assert loyal["status"] == bargain["status"] == "critical"
    assert _one(rows, "segment_share_change", "Prospects")["status"] == "ok"
    stability = _one(rows, "segmentation_stability", "all customers on both dates")
    assert 0.5 <= stability["value"] < 0.8 and stability["status"] == "warning", stability
    assert "15.0% changed segment" in stability["detail"]
    steady = monitor_models(DATES[-2].isoformat(), lookup)
    before = _rows(settings, DATES[-2])
    assert _one(before, "segmentation_stability", "all customers on both dates")["value"] == pytest.approx(
        1.0
    )
    assert _one(before, "segment_size_shift", "all segments")["value"] == pytest.approx(0.0)
    assert not steady["retraining_requested"], "no input profile that night, no critical shift"


def test_kpi_control_chart_flags_the_jump_and_needs_history(small_warehouse):
    settings, lookup = small_warehouse
    monitor_models(LAST.isoformat(), lookup)
    rows = _rows(settings, LAST)
    revenue = _one(rows, "kpi_anomaly", "Big spenders|revenue")
    assert revenue["status"] == "critical" and revenue["value"] > 3
    assert _one(rows, "kpi_anomaly", "Big spenders|average_order_value")["status"] == "critical"
    assert _one(rows, "kpi_anomaly", "Loyal|size")["status"] == "critical"
    assert _one(rows, "kpi_anomaly", "Prospects|size")["status"] == "ok"
    assert _one(rows, "kpi_anomaly", "Prospects|revenue")["value"] == 0.0
    early = monitor_models(DATES[3].isoformat(), lookup)
    kpis = _rows(settings, DATES[3]).query("check_type == 'kpi_anomaly'")
    assert len(kpis) > 0 and (kpis["status"] == "insufficient_history").all()
    assert kpis["value"].isna().all() and kpis["detail"].str.contains("3 earlier runs, 7 needed").all()
    assert early["status_counts"]["insufficient_history"] >= len(kpis)
    first = monitor_models(DATES[0].isoformat(), lookup)
    shift = _one(_rows(settings, DATES[0]), "segment_size_shift", "all segments")
    assert shift["status"] == "insufficient_history" and "first scored date" in shift["detail"]
    assert first["status_counts"]["critical"] == 0


def test_rerunning_a_date_replaces_its_rows_and_nothing_else(small_warehouse):
    settings, lookup = small_warehouse
    monitor_models(DATES[-2].isoformat(), lookup)
    first = monitor_models(LAST.isoformat(), lookup)
    rows_a = _rows(settings)
    second = monitor_models(LAST.isoformat(), lookup)
    rows_b = _rows(settings)
    assert len(rows_a) == len(rows_b) and first["status_counts"] == second["status_counts"]
    pd.testing.assert_frame_equal(rows_a.drop(columns="computed_at"), rows_b.drop(columns="computed_at"))
    assert set(rows_b["logical_date"].astype(str)) == {DATES[-2].isoformat(), LAST.isoformat()}
    assert not rows_b.duplicated(["logical_date", "check_type", "model_name", "subject"]).any()


def test_thresholds_come_from_configuration(small_warehouse, monkeypatch):
    settings, lookup = small_warehouse
    monkeypatch.setenv("CDP_PSI_WARNING", "5")
    monkeypatch.setenv("CDP_PSI_CRITICAL", "10")
    from customer_platform.config import reload_settings

    reload_settings()
    summary = monitor_models(LAST.isoformat(), lookup)
    tenure = _one(_rows(settings, LAST), "feature_psi", "tenure_days", CHURN_MODEL)
    assert tenure["status"] == "ok" and tenure["critical_threshold"] == 10.0
    assert not summary["retraining_requested"], "segment size shift below its own critical threshold"


def test_status_rules():
    assert classify(0.05, 0.1, 0.25) == "ok"
    assert classify(0.1, 0.1, 0.25) == "warning"
    assert classify(0.25, 0.1, 0.25) == "critical"
    assert classify(0.9, 0.8, 0.5, lower_is_worse=True) == "ok"
    assert classify(0.6, 0.8, 0.5, lower_is_worse=True) == "warning"
    assert classify(0.4, 0.8, 0.5, lower_is_worse=True) == "critical"
    with pytest.raises(ValueError, match="missing value"):
        classify(float("nan"), 0.1, 0.25)
    finding = Finding("feature_psi", "m", "1", "x", 0.1, 0.1, 0.25, "warning", "d")
    with pytest.raises(ValueError, match="status"):
        dataclasses.replace(finding, status="bad")
    with pytest.raises(ValueError, match="check_type"):
        dataclasses.replace(finding, check_type="bad")
