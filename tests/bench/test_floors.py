"""Per-stage DuckDB floors on tiny files (real DuckDB), their planning, the floor ratios and growth with scale."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from bench.floor_runs import FloorPlan, drop_files, marts_tables, plan_floors, run_floor, silver_partitions
from bench.floors import ingest_floor, marts_gate_floor, scoring_floor, silver_gate_floor, warehouse_floor
from bench.report import render_markdown
from bench.stage_ratios import floor_ratios, growth, growth_exponent, growth_verdict, previous_result
from customer_platform.registry import get_registry

WEB_CSV = """order_id,line_number,customer_id,ordered_at,order_status,quantity,unit_price,line_amount
W1,1,C1,2026-06-01T10:00:00,completed,2,10.0,20.0
W1,2,C1,2026-06-01T10:00:00,completed,1,5.5,5.5
W2,1,C2,2026-06-01T11:00:00,completed,1,100,100
"""
EVENTS = [{"event_id": f"E{i}", "cookie_id": "ck1", "event_type": "page_view"} for i in range(4)]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _parquet(folder: Path, rows: list[tuple], columns: tuple[str, ...]) -> None:
    """Write `rows` as one Spark-like part file in `folder` (timestamps given as text are cast)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=list(columns))
    for column in columns:
        if column.endswith("_at"):
            frame[column] = pd.to_datetime(frame[column])
    frame.to_parquet(folder / "part-00000.parquet", index=False)


@pytest.fixture(scope="module")
def silver(tmp_path_factory) -> Path:
    """Silver order lines of a web shop (customer ids) and a till (emails), CRM records linking both."""
    root = tmp_path_factory.mktemp("silver")
    web = [("W1", 1, "C1", "2026-05-01 10:00", 20.0), ("W1", 2, "C1", "2026-05-01 10:00", 5.5)]
    web.append(("W2", 1, "C2", "2026-05-20 09:00", 100.0))
    till_day_1 = [("P1", 1, "ann@x.com", "2026-06-01 12:00", 40.0)]
    till_day_2 = [("P2", 1, "bob@y.com", "2026-06-02 08:00", 7.5), ("P3", 1, None, "2026-06-02 08:00", 1.0)]
    lines = ("order_id", "line_number", "customer_id", "ordered_at", "line_amount")
    till = ("transaction_id", "line_number", "email", "transacted_at", "line_amount")
    _parquet(root / "web_order_lines" / "ingest_date=2026-06-01", web, lines)
    _parquet(root / "pos_order_lines" / "ingest_date=2026-06-01", till_day_1, till)
    _parquet(root / "pos_order_lines" / "ingest_date=2026-06-02", till_day_2, till)
    _parquet(
        root / "crm_customers" / "ingest_date=2026-06-01",
        [("C1", "ann@x.com"), ("C2", None)],
        ("customer_id", "email"),
    )
    (root / "crm_customers" / "_swap.lock").write_text("")
    return root


def test_ingest_floor_writes_every_landing_row_as_parquet(tmp_path):
    csv = _write(tmp_path / "landing" / "web_orders.csv", WEB_CSV)
    jsonl = _write(tmp_path / "landing" / "web_events.jsonl", "\n".join(json.dumps(e) for e in EVENTS) + "\n")
    out = tmp_path / "out"
    out.mkdir()

    from_csv = ingest_floor([str(csv)], "csv", str(out))
    assert (from_csv["rows_in"], from_csv["rows_out"]) == (3, 3)
    assert duckdb.sql(f"select sum(line_amount) from '{out / 'floor.parquet'}'").fetchall()[0][0] == 125.5
    from_json = ingest_floor([str(jsonl)], "jsonl", str(out))
    assert from_json["rows_out"] == 4 and from_json["seconds"] >= 0


def test_drop_files_are_the_ones_the_ingestion_reads(tmp_path):
    contract = get_registry().get("web_orders")
    day = tmp_path / "web_orders" / "2026-06-02"
    for name, text in {
        "a.csv": "x\n",
        "b.txt": "x\n",
        "_SUCCESS": "",
        ".hidden.csv": "x\n",
        "empty.csv": "",
        "c.json": "{}",
    }.items():
        _write(day / name, text)
    assert [Path(f).name for f in drop_files(contract, tmp_path, "2026-06-02")] == ["a.csv", "b.txt"]
    assert drop_files(contract, tmp_path, "2026-06-03") == []


def test_silver_gate_floor_profiles_the_dates_partitions(silver):
    assert [Path(p).name for p in silver_partitions(silver / "pos_order_lines", "2026-06-02")] == [
        "ingest_date=2026-06-02"
    ]
    assert len(silver_partitions(silver / "pos_order_lines", "2026-06-02", up_to=True)) == 2
    tables = [
        {
            "name": "pos_order_lines",
            "partitions": silver_partitions(silver / "pos_order_lines", "2026-06-02"),
            "key": ["transaction_id", "line_number"],
        },
        {
            "name": "crm_customers",
            "partitions": silver_partitions(silver / "crm_customers", "2026-06-01"),
            "key": ["customer_id"],
        },
    ]
    figures = silver_gate_floor(tables)
    assert figures["rows_in"] == 2 + 2 and figures["tables"] == 2


def test_warehouse_floor_aggregates_orders_per_customer_record(silver, tmp_path):
    up_to = {
        t: silver_partitions(silver / t, "2026-06-02", up_to=True)
        for t in ("web_order_lines", "pos_order_lines", "crm_customers")
    }
    orders = [
        {
            "partitions": up_to["web_order_lines"],
            "order_id": "order_id",
            "ordered_at": "ordered_at",
            "amount": "line_amount",
            "identifiers": [{"column": "customer_id", "key_space": "customer_id"}],
        },
        {
            "partitions": up_to["pos_order_lines"],
            "order_id": "transaction_id",
            "ordered_at": "transacted_at",
            "amount": "line_amount",
            "identifiers": [{"column": "email", "key_space": "email"}],
        },
    ]
    customers = [
        {
            "partitions": up_to["crm_customers"],
            "record_id": "customer_id",
            "identifiers": [
                {"column": "customer_id", "key_space": "customer_id"},
                {"column": "email", "key_space": "email"},
            ],
        }
    ]
    out = tmp_path / "floor.duckdb"

    figures = warehouse_floor(orders, customers, str(out))

    # 3 web lines + 1 + 2 till lines + 2 CRM records read; C1 owns Ann's till order through her email.
    assert (figures["rows_in"], figures["rows_out"]) == (8, 3)
    with duckdb.connect(str(out), read_only=True) as con:
        rows = con.execute(
            "select customer_key, orders, cast(last_order_date as varchar), net_amount from customer_orders order by 1"
        ).fetchall()
    assert rows == [
        ("C1", 2, "2026-06-01", 65.5),
        ("C2", 1, "2026-05-20", 100.0),
        ("email:bob@y.com", 1, "2026-06-02", 7.5),
    ]


@pytest.fixture()
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_features as select 'U' || i as unified_customer_id, i as frequency, i * 2.5 as monetary, 'x' as label from range(5) t(i)"
        )
        con.execute(
            "create table marts.fct_orders as select 'O' || i as order_id, case when i % 2 = 0 then null else i end as amount from range(7) t(i)"
        )
    return path


def test_marts_gate_floor_scans_the_gates_tables_read_only(warehouse):
    tables = [
        {"name": "marts.customer_features", "key": ["unified_customer_id"]},
        {"name": "marts.fct_orders", "key": ["order_id"]},
        {"name": "marts.customer_rfm", "key": []},
    ]
    figures = marts_gate_floor(str(warehouse), tables)
    assert (figures["rows_in"], figures["tables"]) == (12, 2)  # customer_rfm was not built: not scanned
    # A table two suites check keeps the key of the suite it belongs to, whichever comes first.
    suites = [
        SimpleNamespace(TABLES=("customer_segments", "customer_lifecycle"), KEY="unified_customer_id"),
        SimpleNamespace(TABLES=("customer_lifecycle",), KEY="unified_customer_id"),
        SimpleNamespace(TABLES=("fct_orders", "dim_customers"), KEY="order_id"),
        SimpleNamespace(TABLES=("customer_identity_map",)),
    ]
    assert marts_tables(suites) == [
        {"name": "marts.customer_segments", "key": ["unified_customer_id"]},
        {"name": "marts.customer_lifecycle", "key": ["unified_customer_id"]},
        {"name": "marts.fct_orders", "key": ["order_id"]},
        {"name": "marts.dim_customers", "key": []},
        {"name": "marts.customer_identity_map", "key": []},
    ]


def test_scoring_floor_writes_one_row_per_feature_row(warehouse, tmp_path):
    out = tmp_path / "scores.duckdb"
    figures = scoring_floor(
        str(warehouse), "marts.customer_features", "unified_customer_id", str(out), outputs=2
    )
    assert (figures["rows_in"], figures["rows_out"], figures["features"]) == (5, 5, 2)
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute(
            "select score_1, score_2 from scores where unified_customer_id = 'U2'"
        ).fetchone() == (7.0, 14.0)


def test_plan_floors_covers_the_stages_that_ran_and_run_floor_records_one(tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "silver"
    for day in ("2026-06-01", "2026-06-02"):
        _write(landing / "web_orders" / day / "web_orders.csv", WEB_CSV)
    settings = SimpleNamespace(
        landing_dir=landing, silver_dir=lake, warehouse_path=tmp_path / "none.duckdb", data_dir=tmp_path
    )
    ran = [{"phase": p, "name": "ingest web_orders", "status": "ok"} for p in ("initial", "nightly")]
    ran += [
        {"phase": "nightly", "name": "marts gate", "status": "ok"},
        {"phase": "initial", "name": "ingest pos_orders", "status": "failed"},
    ]

    plans = plan_floors(ran, settings, get_registry(), {"initial": "2026-06-01", "nightly": "2026-06-02"})

    # No silver, no warehouse: only the ingestion floors; a failed stage gets none.
    assert [(p.name, p.kind) for p in plans] == [
        ("duckdb floor: ingest web_orders (initial)", "ingest"),
        ("duckdb floor: ingest web_orders (nightly)", "ingest"),
    ]
    stage = run_floor(plans[1], timeout=60, scratch=tmp_path / "scratch")
    assert stage.status == "ok" and stage.phase == "floor" and (stage.rows_in, stage.rows_out) == (3, 3)
    assert (
        stage.detail["of_phase"] == "nightly" and stage.detail["work_seconds"] > 0 and stage.peak_rss_mb > 0
    )
    assert list((tmp_path / "scratch").iterdir()) == []  # the Parquet it wrote is gone
    failed = run_floor(
        FloorPlan("ingest x", "nightly", "ingest", {"files": ["/nope.csv"], "file_format": "csv"}),
        60,
        tmp_path / "scratch",
    )
    assert failed.status == "failed" and failed.note


def _stage(name, phase, seconds, rows_in=None, status="ok", **detail):
    return {
        "name": name,
        "phase": phase,
        "seconds": seconds,
        "peak_rss_mb": 100.0,
        "status": status,
        "rows_in": rows_in,
        "rows_out": None,
        "rows_per_s": None,
        "note": "",
        "detail": detail,
    }


def _result(scale, stages, date="2026-12-06", tag="2c-24g"):
    machine = {"cores_logical": 2, "memory_gb": 24, "os": "linux", "python": "3.11", "versions": {}}
    return {
        "scale": scale,
        "date": date,
        "machine_tag": tag,
        "machine": machine,
        "load_start": [1, 1, 1],
        "load_end": [1, 1, 1],
        "dataset": {},
        "settings": {},
        "notes": [],
        "stages": stages,
        "summary": {
            "initial_load_s": 0,
            "spark_startup_s": 0,
            "initial_ingest_s": 0,
            "nightly_run_s": 0,
            "nightly_ingest_s": 0,
            "segmentation_s": 0,
            "platform_peak_rss_mb": 0,
            "complete": True,
        },
    }


def test_floor_ratios_use_the_floors_duckdb_work():
    stages = [
        _stage("dbt build", "nightly", 40.0),
        _stage("dbt build", "initial", 50.0),
        _stage(
            "duckdb floor: dbt build (nightly)",
            "floor",
            1.3,
            of_stage="dbt build",
            of_phase="nightly",
            work_seconds=0.5,
        ),
        _stage(
            "duckdb floor: marts gate (nightly)",
            "floor",
            600.0,
            status="timeout",
            of_stage="marts gate",
            of_phase="nightly",
        ),
        _stage(
            "duckdb floor: scoring + write-back (nightly)",
            "floor",
            1.0,
            of_stage="scoring + write-back",
            of_phase="nightly",
            work_seconds=0.2,
        ),
    ]
    stages.insert(0, _stage("marts gate", "nightly", 3.0))
    rows = {(r["stage"], r["phase"]): r for r in floor_ratios(stages)}
    assert rows[("dbt build", "nightly")]["ratio"] == pytest.approx(80.0)
    assert rows[("marts gate", "nightly")]["ratio"] is None  # its floor timed out
    assert ("scoring + write-back", "nightly") not in rows  # the stage did not run
    assert ("dbt build", "initial") not in rows  # no floor for it


def test_growth_exponent_flag_and_noise_rule():
    assert growth_exponent(10.0, 100.0, 1_000, 10_000) == pytest.approx(1.0)
    assert growth_exponent(10.0, 400.0, 1_000, 10_000) == pytest.approx(math.log10(40))
    assert growth_exponent(1.0, 2.0, 100, 100) is None and growth_exponent(0.0, 2.0, 10, 100) is None
    assert growth_verdict(1.6, 10.0, 400.0) == "faster than linear"
    assert growth_verdict(1.15, 10.0, 141.0) == "linear or better"  # at the limit is not flagged
    assert growth_verdict(1.9, 0.1, 0.8).startswith("noise")  # under a second at both scales
    assert growth_verdict(1.9, 0.1, 8.0) == "faster than linear"


def test_growth_against_the_newest_smaller_scale_and_the_markdown(tmp_path):
    def write(name, result):
        (tmp_path / f"{name}.json").write_text(json.dumps(result))

    small = [
        _stage("dbt build", "initial", 10.0, rows_in=1_000),
        _stage("marts gate", "initial", 2.0),
        _stage("erasure sweep", "initial", 0.1),
    ]
    write("2026-12-01_2c-24g_10000", _result(10_000, small, "2026-12-01"))
    write("2026-11-01_2c-24g_50000", _result(50_000, small, "2026-11-01"))  # older
    write("2026-12-05_8c-64g_10000", _result(10_000, small, "2026-12-05", "8c-64g"))  # another machine
    write("2026-12-05_2c-24g_100000_ingest_day", {"stages": small})  # not a whole run
    write("2026-12-06_2c-24g_1000000", _result(1_000_000, small))  # larger
    big = [
        _stage("dbt build", "initial", 400.0, rows_in=10_000),
        _stage("marts gate", "initial", 20.0),
        _stage("erasure sweep", "initial", 0.9),
    ]
    big.append(
        _stage(
            "duckdb floor: dbt build (initial)",
            "floor",
            3.0,
            of_stage="dbt build",
            of_phase="initial",
            work_seconds=2.0,
        )
    )
    result = _result(100_000, big)

    path, chosen = previous_result(tmp_path, "2c-24g", 100_000)
    assert path.name == "2026-12-01_2c-24g_10000.json" and chosen["scale"] == 10_000
    result["growth"] = growth(result, tmp_path)
    result["floor_ratios"] = floor_ratios(big)
    rows = {r["stage"]: r for r in result["growth"]["rows"]}
    assert rows["dbt build"]["by"] == "rows in" and rows["dbt build"]["verdict"] == "faster than linear"
    assert rows["marts gate"]["by"] == "customers" and rows["marts gate"]["exponent"] == pytest.approx(1.0)
    assert rows["erasure sweep"]["verdict"].startswith("noise")

    text = render_markdown(result)
    assert (
        "## Each stage against its DuckDB floor" in text
        and "| dbt build | initial | 400.0 | 2.00 | 200.00 |" in text
    )
    assert "## Growth with scale" in text and "**faster than linear**" in text
    assert "Against 2026-12-01_2c-24g_10000.json" in text
    assert "No result of a smaller scale" in render_markdown(
        result | {"growth": growth(result, tmp_path / "empty")}
    )


def test_targets_are_judged_at_1m_only():
    from bench.stage_ratios import target_rows

    summary = {"nightly_run_s": 150.0, "platform_peak_rss_mb": 7000.0, "initial_load_s": 600.0}
    at_1m = {row["what"]: row["verdict"] for row in target_rows({"scale": 1_000_000, "summary": summary})}
    assert list(at_1m.values()) == ["missed", "met", "met"]
    smaller = target_rows({"scale": 100_000, "summary": summary})
    assert {row["verdict"] for row in smaller} == {"target is for 1M"}
