"""`cdp query` reads the warehouse and nothing else: no host files, no writes, one-line errors, a word while a run writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from cdp import cli
from customer_platform.config import reload_settings
from customer_platform.warehouse_reader import WarehouseBusyError, open_for_analysts

pytestmark = pytest.mark.unit


@pytest.fixture()
def warehouse(isolated_settings, tmp_path, monkeypatch):
    """A small warehouse file with a marts table and a pii table, at CDP_WAREHOUSE_PATH."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "create schema marts; create table marts.customer_segments as select 'U1' as id, 'Champions' as s"
    )
    con.execute("create schema pii; create table pii.customer_contacts as select 'a@mail.example' as email")
    con.close()
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(path))
    reload_settings()
    return path


def _query(sql: str, capsys, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["query", sql, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_select_prints_rows(warehouse, capsys):
    code, out, _ = _query("select s from marts.customer_segments", capsys)
    assert code == 0
    assert "Champions" in out


@pytest.mark.parametrize(
    ("sql", "target"),
    [
        ("copy (select * from pii.customer_contacts) to '{tmp}/contacts.csv'", "contacts.csv"),
        ("select * from read_csv('/etc/passwd')", None),
        ("select * from glob('/etc/*')", None),
        ("attach '{tmp}/other.duckdb' as other", "other.duckdb"),
        ("install httpfs", None),
        ("load httpfs", None),
        ("set enable_external_access = true", None),
    ],
)
def test_host_files_extensions_and_settings_are_refused(warehouse, tmp_path, capsys, sql, target):
    code, out, err = _query(sql.format(tmp=tmp_path), capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("cdp query: ")
    assert "Traceback" not in err and "root:" not in out
    if target:
        assert not (tmp_path / target).exists()


def test_a_sql_error_is_one_line(warehouse, capsys):
    code, _, err = _query("selec 1", capsys)
    assert code == 2
    assert err.strip() == 'cdp query: ParserException: Parser Error: syntax error at or near "selec"'


def test_no_warehouse_is_one_line(isolated_settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(tmp_path / "absent.duckdb"))
    reload_settings()
    code, _, err = _query("select 1", capsys)
    assert code == 3
    assert err.count("\n") == 1 and "no warehouse at" in err


def test_a_writing_run_is_named_instead_of_a_lock_error(warehouse, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(warehouse)!r})
                print("locked", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(
            WarehouseBusyError, match=rf"a run is writing the warehouse .*process {holder.pid}"
        ):
            open_for_analysts(warehouse, wait_seconds=1.0)
        assert time.monotonic() - started >= 1.0  # it retried before giving up
        code, _, err = _query("select 1", capsys, "--wait", "0")
        assert code == 3
        assert f"(process {holder.pid}, started " in err and "Could not set lock" not in err
    finally:
        holder.kill()
        holder.wait()
    code, out, _ = _query("select count(*) as n from marts.customer_segments", capsys)
    assert code == 0 and "1" in out


def test_a_pipeline_writer_waits_for_a_reader_to_let_go(warehouse):
    from customer_platform.warehouse_tables import warehouse_transaction

    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print('reading', flush=True); time.sleep(2)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        with pytest.raises(duckdb.IOException, match="lock"):  # what a stage met before it waited
            duckdb.connect(str(warehouse))
        started = time.monotonic()
        with warehouse_transaction() as con:
            con.execute("insert into marts.customer_segments values ('U2', 'Lapsing')")
        assert time.monotonic() - started > 0.2
    finally:
        reader.wait(timeout=30)
    assert duckdb.connect(str(warehouse), read_only=True).execute(
        "select count(*) from marts.customer_segments"
    ).fetchone() == (2,)
