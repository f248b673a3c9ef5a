"""The marts-gate benchmark on a tiny warehouse: a larger scale by replication, both modes measured."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from bench.marts_gate import measure
from bench.marts_night import replicate
from tests.expectations import marts_data
from tests.expectations.conftest import LOGICAL_DATE


def _night(path, day, n=12):
    tables = marts_data.clean_marts(day, n)
    tables["customer_segments"] = marts_data.customer_segments(marts_data.customer_ids(n), day)
    return marts_data.write_warehouse(path, tables)


def test_replicate_repeats_every_customer_under_distinct_ids(tmp_path):
    source = _night(tmp_path / "one.duckdb", LOGICAL_DATE)

    counts = replicate(source, tmp_path / "three.duckdb", 3)

    assert counts["customer_rfm"] == 36 and counts["fct_orders"] == 72
    with duckdb.connect(str(tmp_path / "three.duckdb"), read_only=True) as connection:
        distinct = connection.execute(
            "select count(distinct order_id), count(distinct unified_customer_id) from marts.fct_orders"
        ).fetchone()
    assert distinct == (72, 36)


def test_measure_validates_only_the_changed_rows_of_the_second_night(tmp_path, monkeypatch):
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    # measure() points the settings at its scratch folder: restore them afterwards.
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CDP_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("CDP_DQ_DIR", raising=False)
    first = _night(tmp_path / "night1.duckdb", LOGICAL_DATE)
    second_day = LOGICAL_DATE + timedelta(days=1)
    tables = marts_data.clean_marts(second_day, 12)
    tables["customer_segments"] = marts_data.customer_segments(marts_data.customer_ids(12), second_day)
    tables["customer_rfm"].loc[0, "monetary"] += 1.0
    second = marts_data.write_warehouse(tmp_path / "night2.duckdb", tables)

    report = measure(first, second, 1, tmp_path / "scratch")

    assert report["night_1"]["success"] and all(r["success"] for r in report["night_2"])
    assert report["summary"]["full"]["validated"] == report["summary"]["full"]["rows"]
    assert report["summary"]["incremental"]["validated"] == 1
    assert report["night_2"][0]["rows"]["marts.customer_rfm"]["validated"] == 1


@pytest.fixture(autouse=True)
def _settings_restored():
    from customer_platform.config import reload_settings

    yield
    reload_settings()
