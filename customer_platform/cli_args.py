"""What every command line shares: strict date arguments, the nightly schedule's window, the start-up check.

The `cdp` CLI, `python -m spark_jobs.ingest`, `python -m datagen`, `python -m expectations.runner`
and the bench scripts take dates through these argparse types, so `2026-6-1` or `20260601` is
refused everywhere with the same message, and dates are compared as dates. `settings_or_exit`
loads the configuration first: a malformed variable ends the process with one line per problem
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from customer_platform.config import Settings, get_settings, parse_iso_date
from customer_platform.env_forms import environment_problems

#: Exit status of a bad argument or a bad configuration (argparse's own).
USAGE_ERROR = 2


def iso_day(value: str) -> date:
    """argparse type: a date written exactly YYYY-MM-DD, as a `date`."""
    try:
        return parse_iso_date(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from None


def iso_date(value: str) -> str:
    """argparse type: a date written exactly YYYY-MM-DD, kept as that text."""
    iso_day(value)
    return value


def is_iso_date(text: str) -> bool:
    """Whether `text` is a date written exactly YYYY-MM-DD (e.g. a landing folder's name)."""
    try:
        parse_iso_date(text)
    except ValueError:
        return False
    return True


def today_utc() -> date:
    """Today's date in UTC (the nightly schedule's clock)."""
    return datetime.now(UTC).date()


def check_logical_date(value: str, settings: Settings | None = None) -> str:
    """A nightly logical date: strictly YYYY-MM-DD, not before CDP_START_DATE, not in the future; ValueError otherwise.

    The nightly DAG starts at CDP_START_DATE, and a date after today has not been delivered yet:
    a run for it would publish marts dated in the future.
    """
    settings = settings or get_settings()
    day = parse_iso_date(value, "the logical date")
    if day < parse_iso_date(settings.start_date, "CDP_START_DATE"):
        raise ValueError(
            f"{value} is before the pipeline's start date {settings.start_date} (CDP_START_DATE): "
            "the nightly DAG has no run for it"
        )
    if day > today_utc():
        raise ValueError(
            f"{value} is in the future (today is {today_utc()} UTC): the nightly DAG has no run for it yet"
        )
    return value


def logical_date(value: str) -> str:
    """argparse type: a nightly logical date (`check_logical_date`)."""
    iso_date(value)
    try:
        return check_logical_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def configuration_problems() -> list[str]:
    """Every malformed variable, one line each; else the first setting out of range; empty when valid."""
    problems = environment_problems()
    if problems:
        return problems
    try:
        Settings.from_env()
    except ValueError as problem:
        return [str(problem)]
    return []


def settings_or_exit(prog: str) -> Settings:
    """The settings; on a bad configuration, one line per problem on stderr and exit status 2."""
    try:
        return get_settings()
    except ValueError:
        for problem in configuration_problems() or ["the configuration could not be read"]:
            print(f"{prog}: configuration error: {problem}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
