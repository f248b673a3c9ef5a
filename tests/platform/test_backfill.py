"""A three-day backfill gives the same lakehouse, marts and segments as running each night in turn.

Day by day: each night's drop lands just before its run. Backfill: every drop has already
landed and `cdp backfill --in-process` catches up the window (the same task bodies the
nightly DAG calls). Both start from the same history load of the first day.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from customer_platform.config import reload_settings
from datagen.generator import SOURCES

HISTORY_DATE = "2026-06-01"
WINDOW = ("2026-06-02", "2026-06-03", "2026-06-04")
# Values that name the run or the wall clock, not the data.
VOLATILE_COLUMNS = {
    "assigned_at",
    "computed_at",
    "mlflow_run_id",
    "churn_mlflow_run_id",
    "clv_mlflow_run_id",
    "_run_id",
    "_ingested_at",
    "run_id",
    "ingested_at",
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from datagen.cli import main as datagen_main

    out = tmp_path_factory.mktemp("backfill-landing")
    argv = [
        "generate",
        "--customers",
        "80",
        "--start",
        HISTORY_DATE,
        "--end",
        WINDOW[-1],
        "--seed",
        "7",
        "--out",
        str(out),
        "--force",
        "--no-progress",
    ]
    assert datagen_main(argv) == 0
    return out


def _use_data_dir(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("CDP_DATA_DIR", str(data_dir))
    for name in (
        "CDP_LANDING_DIR",
        "CDP_LAKEHOUSE_DIR",
        "CDP_WAREHOUSE_PATH",
        "MLFLOW_TRACKING_URI",
        "AIRFLOW_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    reload_settings()


def _deliver(landing: Path, target: Path, ds: str) -> None:
    for source in SOURCES:
        if (landing / source / ds).is_dir():
            shutil.copytree(landing / source / ds, target / source / ds)


@pytest.fixture(scope="module")
def day_by_day(landing, tmp_path_factory, spark) -> Path:
    from cdp.backfill import run_nightly_in_process
    from cdp.commands import initial_load

    data_dir = tmp_path_factory.mktemp("day-by-day")
    with pytest.MonkeyPatch.context() as patch:
        _use_data_dir(patch, data_dir)
        _deliver(landing, data_dir / "landing", HISTORY_DATE)
        assert initial_load(WINDOW[0], stop_spark=False) == 0
        for ds in WINDOW:
            _deliver(landing, data_dir / "landing", ds)
            run_nightly_in_process(ds)
    reload_settings()
    return data_dir


@pytest.fixture(scope="module")
def backfilled(landing, tmp_path_factory, spark) -> Path:
    from cdp.cli import main as cdp_main

    data_dir = tmp_path_factory.mktemp("backfilled")
    shutil.copytree(landing, data_dir / "landing")
    with pytest.MonkeyPatch.context() as patch:
        _use_data_dir(patch, data_dir)
        assert cdp_main(["backfill", "--start", WINDOW[0], "--end", WINDOW[-1], "--in-process"]) == 0
    reload_settings()
    return data_dir


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('marts', 'pii') order by 1, 2"
    ).fetchall()


def _rows(con: duckdb.DuckDBPyConnection, relation: str, relative_to: Path | None = None) -> list[tuple]:
    """Every row without run/clock columns, sorted; paths made relative to the data dir."""
    columns = [row[0] for row in con.execute(f"describe {relation}").fetchall()]
    kept = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE_COLUMNS)
    # Floating-point sums may differ in the last bits with aggregation order: compare to 1e-9.
    rows = [
        tuple(round(v, 9) if isinstance(v, float) else v for v in row)
        for row in con.execute(f"select {kept} from {relation}").fetchall()
    ]
    if relative_to is not None:
        prefix = str(relative_to)
        rows = [tuple(v.replace(prefix, "<data>") if isinstance(v, str) else v for v in row) for row in rows]
    return sorted(rows, key=repr)


def _warehouse(data_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)


#: Tables that may hold no row on a short window: no customer merged or split in it.
MAY_BE_EMPTY = {("marts", "customer_id_changes")}


@pytest.mark.slow
def test_backfill_builds_the_same_marts_and_segment_history_as_day_by_day(day_by_day, backfilled):
    expected, actual = _warehouse(day_by_day), _warehouse(backfilled)
    try:
        tables = _tables(expected)
        assert ("marts", "segment_history") in tables and ("marts", "customer_rfm") in tables
        assert _tables(actual) == tables
        for schema, table in tables:
            want = _rows(expected, f"{schema}.{table}", relative_to=day_by_day)
            got = _rows(actual, f"{schema}.{table}", relative_to=backfilled)
            assert want or (schema, table) in MAY_BE_EMPTY, f"{schema}.{table} is empty"
            assert got == want, f"{schema}.{table} differs between backfill and day-by-day runs"
        history = actual.execute(
            "select cast(logical_date as varchar), count(*) from marts.segment_history group by 1 order by 1"
        ).fetchall()
        assert [ds for ds, _ in history] == list(WINDOW), "one segment assignment per customer per night"
    finally:
        expected.close()
        actual.close()


@pytest.mark.slow
def test_backfill_builds_the_same_silver_partitions(day_by_day, backfilled):
    con = duckdb.connect()
    try:
        for table_dir in sorted((day_by_day / "lakehouse" / "silver").iterdir()):
            relations = []
            for name, root in (("want", day_by_day), ("got", backfilled)):
                files = root / "lakehouse" / "silver" / table_dir.name / "**" / "*.parquet"
                con.execute(
                    f"create or replace view {name} as select * from read_parquet('{files}', hive_partitioning=true)"
                )
                relations.append(_rows(con, name, relative_to=root))
            assert relations[0], f"silver {table_dir.name} is empty"
            assert relations[1] == relations[0], f"silver {table_dir.name} differs"
    finally:
        con.close()


def test_a_reversed_range_is_refused_with_the_argument_named(capsys):
    from cdp.cli import main as cdp_main

    assert cdp_main(["backfill", "--start", "2026-06-04", "--end", "2026-06-02", "--in-process"]) == 2
    assert "--end" in capsys.readouterr().err


def test_backfill_stops_at_the_first_failed_date_and_names_what_was_not_run():
    from cdp.backfill import backfill

    ran: list[str] = []

    def runner(ds: str) -> int:
        ran.append(ds)
        return 1 if ds == "2026-06-03" else 0

    result = backfill("2026-06-02", "2026-06-05", runner)
    assert ran == ["2026-06-02", "2026-06-03"]
    assert (result.failed_date, result.skipped) == ("2026-06-03", ["2026-06-04", "2026-06-05"])
    assert not result.ok
