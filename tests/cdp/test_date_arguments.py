"""Every command line takes dates strictly as YYYY-MM-DD and refuses dates outside the nightly schedule.

Each entry point is called in-process with a bad date: exit status 2, and the last line on stderr
names the argument and says why, before any work starts.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bench import ingest_day
from cdp import cli, commands
from cdp.airflow_env import DagTestResult
from customer_platform import cli_args
from customer_platform.config import Settings
from datagen import cli as datagen_cli
from expectations import runner
from spark_jobs import ingest

TOMORROW = (date.today() + timedelta(days=2)).isoformat()
NOT_ISO = "not a date in YYYY-MM-DD form"
BEFORE_START = "is before the pipeline's start date 2026-06-01 (CDP_START_DATE)"
FUTURE = "is in the future"

CASES = [
    # (entry point, argv, the argument named, what the line says)
    (cli.main, ["run", "--date", "2026-6-1"], "--date", NOT_ISO),
    (cli.main, ["run", "--date", "2011-12-09"], "--date", BEFORE_START),
    (cli.main, ["run", "--date", TOMORROW], "--date", FUTURE),
    (cli.main, ["backfill", "--start", "20260601", "--end", "2026-06-02"], "--start", NOT_ISO),
    (cli.main, ["backfill", "--start", "2026-06-02", "--end", TOMORROW], "--end", FUTURE),
    (cli.main, ["generate", "--start", "2026-06-1"], "--start", NOT_ISO),
    (cli.main, ["initial-load", "--until", "2026/06/30"], "--until", NOT_ISO),
    (cli.main, ["summary", "--date", "2011-12-09"], "--date", BEFORE_START),
    (cli.main, ["predict", "--date", "2026-06-31"], "--date", NOT_ISO),
    (cli.main, ["audiences", "list", "--date", "2026-6-30"], "--date", NOT_ISO),
    (cli.main, ["audiences", "run", "--date", TOMORROW], "--date", FUTURE),
    (cli.main, ["campaigns", "--date", "2011-12-09"], "--date", BEFORE_START),
    (ingest.main, ["--source", "crm_customers", "--date", "2026-6-1"], "--date", NOT_ISO),
    (
        ingest.main,
        ["--source", "crm_customers", "--start", "2026-06-01", "--end", "20260602"],
        "--end",
        NOT_ISO,
    ),
    (datagen_cli.main, ["generate", "--start", "20260601"], "--start", NOT_ISO),
    (datagen_cli.main, ["invoices", "--start", "2010-12-1"], "--start", NOT_ISO),
    (datagen_cli.main, ["shop", "--start", "2023-02-30"], "--start", NOT_ISO),
    (runner.main, ["--gate", "silver", "--date", "2026-06-01T00:00"], "--date", NOT_ISO),
    (ingest_day.main, ["--scale", "1000", "--date", "2026-6-2"], "--date", NOT_ISO),
]


@pytest.fixture()
def nothing_may_run(monkeypatch):
    """Fail the test if a command gets past argument parsing into real work."""

    def refuse(*args, **kwargs):
        raise AssertionError("a refused date must stop before any work starts")

    for name in ("run_date", "backfill_window", "generate_demo", "initial_load", "init_airflow", "dags_test"):
        monkeypatch.setattr(commands, name, refuse)
    monkeypatch.setattr(ingest, "ingest_dates", refuse)
    monkeypatch.setattr(runner, "run_gate", refuse)


@pytest.mark.parametrize(("main", "argv", "argument", "reason"), CASES)
def test_a_bad_date_exits_2_with_one_line_naming_the_argument(
    main, argv, argument, reason, nothing_may_run, capsys
):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert f"error: argument {argument}: " in last and reason in last, last


def test_the_logical_date_check_compares_dates_not_text(isolated_settings, monkeypatch):
    """2026-06-10 is after 2026-06-9 as a date, before it as text; the malformed one is refused outright."""
    monkeypatch.setenv("CDP_START_DATE", "2026-06-09")
    settings = Settings.from_env()
    assert cli_args.check_logical_date("2026-06-10", settings) == "2026-06-10"
    with pytest.raises(ValueError, match="before the pipeline's start date 2026-06-09"):
        cli_args.check_logical_date("2026-06-08", settings)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        cli_args.check_logical_date("2026-06-9", settings)


def test_landing_folders_that_are_not_dates_are_ignored(isolated_settings):
    landing = isolated_settings.landing_dir / "crm_customers"
    for name in ("2026-06-02", "2026-6-3", "backup", "20260604"):
        (landing / name).mkdir(parents=True)
    assert commands.landing_dates(isolated_settings) == ["2026-06-02"]


def test_a_dag_run_that_ran_no_task_is_a_failure(isolated_settings, monkeypatch, capsys):
    """`airflow dags test` exiting 0 with no task instance: exit 1 and say so, never success."""
    monkeypatch.setattr(commands, "ensure_demo_data", lambda settings: 0)
    monkeypatch.setattr(commands, "initial_load", lambda until, stop_spark: 0)
    monkeypatch.setattr(commands, "init_airflow", lambda settings: None)
    log = isolated_settings.run_summaries_dir / "nightly.log"
    log.parent.mkdir(parents=True)
    log.write_text("DagRun Finished: state=success\n", encoding="utf-8")
    monkeypatch.setattr(
        commands, "dags_test", lambda dag, ds, settings: DagTestResult(dag, ds, 0, log, task_states={})
    )
    assert commands.run_date("2026-06-02") == 1
    out, err = capsys.readouterr()
    assert "created no task instance for 2026-06-02" in err
    assert "succeeded" not in out
