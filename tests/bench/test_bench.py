"""The benchmark harness's own parts: baselines' RFM, memory sampling, reports and the scaling check.

No Spark here: the platform stages are exercised by the benchmark runs themselves.
"""

from __future__ import annotations

import math
import sys
from datetime import date

import pytest

from bench.baselines import duckdb_rfm, run_measured
from bench.curve import check_targets, growth_per_10x, load_latest, render
from bench.monitor import RssSampler, StageRecorder
from bench.report import comparisons, render_markdown, summarise, write_results
from bench.textbook import pandas_rfm

WEB = """order_id,line_number,customer_id,ordered_at,order_status,sku,category,quantity,unit_price,currency
W1,1,C1,2026-05-31T10:00:00,completed,S1,apparel,2,10.00,GBP
W1,2,C1,2026-05-31T10:00:00,completed,S2,apparel,1,5.50,GBP
W2,1,C1,2026-03-01T09:00:00+01:00,completed,S3,home,1,100,GBP
W3,1,C2,2026-05-20T00:00:00,cancelled,S4,home,1,999,GBP
W4,1,C2,2025-05-01T00:00:00,completed,S4,home,1,50,GBP
this line is broken
W5,1,C2,2026-04-02T00:00:00,completed,S5,home,3,1.00,GBP
"""
POS = """transaction_id,line_number,store_id,loyalty_id,email,transacted_at,sku,category,quantity,unit_price,currency
P1,1,ST1,L9,,2026-06-02T12:00:00,S1,home,1,40,GBP
P1,2,ST1,L9,,2026-06-02T12:00:00,S2,home,-1,10,GBP
P2,1,ST1,, Ann@X.com ,2026-06-01T08:00:00,S1,home,2,7.5,GBP
P3,1,ST1,,,2026-06-01T08:00:00,S1,home,1,1,GBP
"""
LATER_POS = """transaction_id,line_number,store_id,loyalty_id,email,transacted_at,sku,category,quantity,unit_price,currency
P9,1,ST1,L9,,2026-06-03T08:00:00,S1,home,1,500,GBP
"""
#: Worked out by hand for the logical date 2026-06-02 (window: 2025-06-03 .. 2026-06-02):
#: C1 two completed orders (25.50 + 100), C2's cancelled and too-old orders left out,
#: L9 a sale and a return on the day, Ann keyed by her trimmed lower-cased email,
#: P3 without any key and the 2026-06-03 drop left out.
EXPECTED = {
    "C1": (2, 2, 125.5),
    "C2": (61, 1, 3.0),
    "L9": (0, 1, 30.0),
    "ann@x.com": (1, 1, 15.0),
}


@pytest.fixture(scope="module")
def hand_landing(tmp_path_factory):
    """A landing folder small enough to compute RFM by hand."""
    landing = tmp_path_factory.mktemp("bench-landing")
    for relative, text in {
        "web_orders/2026-06-01/web_orders.csv": WEB,
        "pos_orders/2026-06-02/pos_orders.csv": POS,
        "pos_orders/2026-06-03/pos_orders.csv": LATER_POS,
    }.items():
        path = landing / relative
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
    return landing


def _as_dict(frame):
    return {
        row.customer_key: (int(row.recency_days), int(row.frequency), round(float(row.monetary), 2))
        for row in frame.itertuples()
    }


def test_duckdb_floor_matches_the_hand_computation(hand_landing):
    assert _as_dict(duckdb_rfm(hand_landing, "2026-06-02")) == EXPECTED


def test_textbook_rfm_matches_the_hand_computation(hand_landing):
    assert _as_dict(pandas_rfm(hand_landing, "2026-06-02")) == EXPECTED


def test_baselines_agree_on_generated_landing(tmp_path):
    from datagen.generator import generate
    from datagen.profiles import MessRates

    # Truncated lines are the one case the two readers treat differently (pandas pads, DuckDB skips).
    rates = MessRates().with_overrides(malformed_line=0.0)
    generate(tmp_path, 150, date(2026, 6, 1), date(2026, 6, 2), seed=3, rates=rates)
    floor = _as_dict(duckdb_rfm(tmp_path, "2026-06-02"))
    textbook = _as_dict(pandas_rfm(tmp_path, "2026-06-02"))
    assert floor == textbook
    assert len(floor) >= 100  # persons buy online and in store under several keys
    assert all(0 <= r <= 364 and f >= 1 for r, f, _ in floor.values())
    assert sum(m for _, _, m in floor.values()) > 0


def test_run_measured_sees_child_memory_and_stops_at_the_cap():
    grow = "import time; block = bytearray(200 * 1024 * 1024); time.sleep(1.0)"
    run = run_measured([sys.executable, "-c", grow], interval=0.1)
    assert run.returncode == 0 and run.peak_rss_mb >= 180
    capped = run_measured(["sleep", "60"], timeout=1.0)
    assert capped.timed_out and capped.seconds < 15


def test_stage_recorder_marks_a_failed_stage():
    recorder = StageRecorder(RssSampler(interval=0.05).start())
    try:
        with pytest.raises(ValueError), recorder.measure("dbt build", "initial") as stage:
            stage.rows_in = 10
            raise ValueError("model x failed")
    finally:
        recorder.sampler.stop()
    (stage,) = recorder.stages
    assert stage.status == "failed" and "model x failed" in stage.note and stage.peak_rss_mb > 0


def _stage(name, phase, seconds, rss=1000.0, status="ok", **detail):
    return {
        "name": name,
        "phase": phase,
        "seconds": seconds,
        "peak_rss_mb": rss,
        "status": status,
        "rows_in": 1000,
        "rows_out": 900,
        "rows_per_s": 1000 / seconds,
        "note": "",
        "detail": detail,
    }


def _fake_result(scale, factor):
    """A complete result whose dbt build takes `factor` times longer per 10× scale than at 10k."""
    grow = scale / 10_000  # every other stage grows linearly
    dbt = 20.0 * factor ** math.log10(scale / 10_000)
    stages = [
        _stage("spark start-up", "initial", 12.0),
        _stage("ingest web_orders", "initial", 10.0 * grow),
        _stage("ingest pos_orders", "initial", 10.0 * grow),
        _stage("dbt build", "initial", dbt, rss=2000.0 * grow),
        _stage("  dbt model customer_rfm", "initial", 2.0 * grow, sub_stage_of="dbt build"),
        _stage("training (selection)", "initial", 30.0),
        _stage("scoring + write-back", "initial", 5.0 * grow),
        _stage("ingest web_orders", "nightly", 6.0),
        _stage("dbt build", "nightly", dbt),
        _stage("duckdb rfm floor", "baseline", 1.0, sql_seconds=0.5),
        _stage("textbook pandas + kmeans", "baseline", 300.0, status="timeout"),
    ]
    result = {
        "scale": scale,
        "date": "2026-11-23",
        "machine_tag": "2c-24g",
        "load_start": [1, 1, 1],
        "load_end": [2, 2, 2],
        "dataset": {},
        "settings": {},
        "notes": [],
        "stages": stages,
        "machine": {"cores_logical": 2, "memory_gb": 24, "os": "linux", "python": "3.11", "versions": {}},
    }
    result["summary"] = summarise(stages)
    result["comparisons"] = comparisons(stages)
    return result


def test_summary_ratios_and_markdown():
    result = _fake_result(10_000, 10.0)
    summary = result["summary"]
    # The dbt model sub-stage is inside dbt build: counted once.
    assert summary["initial_load_s"] == pytest.approx(12 + 10 + 10 + 20 + 30 + 5)
    assert summary["segmentation_s"] == pytest.approx(35.0)
    assert summary["complete"] is True
    by_platform = {row["platform"]: row for row in result["comparisons"]}
    assert by_platform["dbt model customer_rfm alone"]["ratio"] == pytest.approx(4.0)  # 2 s vs 0.5 s SQL
    capped = by_platform["segmentation (selection + scoring)"]
    assert capped["ratio_text"] == "≤ 0.12"  # the textbook ran at least 300 s
    text = render_markdown(result)
    assert "did not finish in 300 s" in text and "| initial | dbt model customer_rfm |" in text
    assert "upper bounds" not in text  # a load of 1 on 2 cores: the machine was not shared
    result["load_start"] = [5.5, 4, 3]
    assert "other work held the cores at the start: figures are upper bounds" in render_markdown(result)


def test_curve_flags_superlinear_growth_and_extrapolates(tmp_path):
    assert growth_per_10x(10_000, 10.0, 100_000, 100.0) == pytest.approx(10.0)
    assert growth_per_10x(10_000, 10.0, 1_000_000, 10_000.0) == pytest.approx(31.6, rel=0.01)
    for scale in (10_000, 100_000):
        write_results(_fake_result(scale, 30.0), tmp_path)
    results = load_latest(tmp_path)
    assert list(results) == [10_000, 100_000]
    checks = {c["target"]: c for c in check_targets(results)}
    growth = checks["no stage grows faster than linearly in customers"]
    assert growth["status"] == "FAIL" and "dbt build" in growth["how"]
    nightly = checks["incremental nightly run at 1M"]
    assert (
        nightly["how"].startswith("extrapolated") and nightly["status"] == "FAIL"
    )  # 26 s → 606 s → ~14,000 s
    assert "| initial | dbt build |" in render(results)


def test_ingest_day_links_only_the_dates_drops_and_summarises_repeats(tmp_path):
    from bench.ingest_day import _scratch
    from bench.ingest_day import summarise as summarise_day

    landing = tmp_path / "landing"
    for day in ("2026-06-01", "2026-06-02"):
        (landing / "web_orders" / day).mkdir(parents=True)
        (landing / "web_orders" / day / "web_orders.csv").write_text("order_id\n")
    scratch = _scratch(landing, "2026-06-02", ("web_orders", "pos_orders"), tmp_path / "scratch")
    assert sorted(p.name for p in (scratch / "landing" / "web_orders").iterdir()) == ["2026-06-02"]
    assert (scratch / "landing" / "web_orders" / "2026-06-02").is_symlink()
    assert list((scratch / "landing" / "pos_orders").iterdir()) == []  # no drop that day: nothing linked

    def run(total_crm: float, total_events: float) -> dict:
        sources = [
            {"source": "crm_customers", "seconds": total_crm, "rows_read": 100},
            {"source": "web_events", "seconds": total_events, "rows_read": 1000},
        ]
        return {"spark_startup_s": 7.0, "sources": sources, "ingest_s": total_crm + total_events}

    summary = summarise_day([run(10, 40), run(12, 50), run(11, 45)])
    assert summary["ingest_s"] == {"min": 50, "median": 56, "max": 62}
    assert summary["per_source"]["web_events"] == {"median_s": 45, "rows_read": 1000, "rows_per_s": 22}
    assert summary["rows_read"] == 1100
    assert summary["meets_target"] is False  # the slowest repeat (62 s) is over 60 s
