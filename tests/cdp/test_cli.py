"""`cdp` refuses bad logical dates before doing anything, and prints the resolved configuration."""

from __future__ import annotations

import pytest

from cdp import cli, commands
from customer_platform.config import get_settings, reload_settings


@pytest.fixture()
def nothing_may_run(monkeypatch):
    """Fail the test if a command gets as far as generating data, loading history or starting Airflow."""

    def refuse(*args, **kwargs):
        raise AssertionError("a refused date must stop before any work starts")

    for name in (
        "run_date",
        "backfill_window",
        "ensure_demo_data",
        "generate_demo",
        "initial_load",
        "init_airflow",
    ):
        monkeypatch.setattr(commands, name, refuse)


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    return stopped.value.code


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "--date", "2011-12-09"],
            "argument --date: 2011-12-09 is before the pipeline's start date 2026-06-01",
        ),
        (["run", "--date", "2026-6-1"], "argument --date: not a date in YYYY-MM-DD form: '2026-6-1'"),
        (["run", "--date", "20260601"], "argument --date: not a date in YYYY-MM-DD form"),
        (
            ["backfill", "--start", "2011-12-09", "--end", "2011-12-10"],
            "argument --start: 2011-12-09 is before",
        ),
        (["backfill", "--start", "2026-06-02", "--end", "2026-6-3"], "argument --end: not a date"),
    ],
)
def test_bad_logical_dates_exit_2_naming_the_argument(argv, message, nothing_may_run, capsys):
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "CDP_START_DATE" in err or "YYYY-MM-DD" in err
    assert not get_settings().landing_dir.exists(), "no demo data was generated"


def test_the_default_date_is_checked_against_the_start_date_too(monkeypatch, nothing_may_run, capsys):
    monkeypatch.setenv("CDP_START_DATE", "2026-07-01")
    reload_settings()
    try:
        assert _exit_code(["run"]) == 2
        assert (
            "2026-06-30 is before the pipeline's start date 2026-07-01 (CDP_START_DATE)"
            in capsys.readouterr().err
        )
    finally:
        monkeypatch.undo()
        reload_settings()


def test_a_date_on_or_after_the_start_date_reaches_the_command(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(commands, "run_date", lambda ds: seen.append(ds) or 0)
    assert cli.main(["run", "--date", get_settings().start_date]) == 0
    assert seen == [get_settings().start_date]


def test_backfill_hands_the_window_to_the_command(monkeypatch):
    seen: list[tuple] = []
    monkeypatch.setattr(
        commands, "backfill_window", lambda start, end, in_process: seen.append((start, end, in_process)) or 0
    )
    assert cli.main(["backfill", "--start", "2026-06-02", "--end", "2026-06-04", "--in-process"]) == 0
    assert seen == [("2026-06-02", "2026-06-04", True)]


def test_generate_calls_the_generator_function_not_a_handler(monkeypatch):
    seen: list[tuple] = []
    monkeypatch.setattr(commands, "generate_demo", lambda *args, **kwargs: seen.append((args, kwargs)) or 0)
    assert cli.main(["generate", "--customers", "10", "--start", "2026-06-01", "--end", "2026-06-02"]) == 0
    assert seen == [((10, "2026-06-01", "2026-06-02", get_settings().seed), {"force": False})]


def test_config_shows_the_source_settings_and_the_active_sources(monkeypatch, capsys):
    monkeypatch.setenv("CDP_SOURCES", "web_orders,crm_customers")
    monkeypatch.setenv("CDP_START_DATE", "2026-06-03")
    reload_settings()
    try:
        assert cli.main(["config"]) == 0
        lines = capsys.readouterr().out.splitlines()
    finally:
        monkeypatch.undo()
        reload_settings()
    assert "start_date = 2026-06-03" in lines
    assert any(line.startswith("contracts_dir = ") for line in lines)
    assert "requested_sources = ('web_orders', 'crm_customers')" in lines
    active = [line for line in lines if line.startswith("active_sources = ")]
    assert len(active) == 1 and set(active[0].split(" = ")[1].split(",")) == {"web_orders", "crm_customers"}


def test_run_with_own_sources_and_no_drops_generates_nothing(isolated_settings, monkeypatch, capsys):
    """CDP_SOURCES naming a deployment's own export: no synthetic data, a message naming what to land."""

    def refuse(*args, **kwargs):
        raise AssertionError("the demo must not be generated for a deployment's own sources")

    monkeypatch.setattr(commands, "generate_demo", refuse)
    monkeypatch.setenv("CDP_SOURCES", "invoice_lines")
    monkeypatch.setenv("CDP_START_DATE", "2010-12-01")
    reload_settings()
    assert cli.main(["run", "--date", "2010-12-02"]) == 2
    err = capsys.readouterr().err
    assert "no drops under" in err and "invoice_lines" in err and "CDP_SOURCES" in err
    assert not get_settings().landing_dir.exists()
