"""The allowed form of every environment variable the platform reads, checked when settings load.

`Settings.from_env()` calls `check_environment()` before reading anything, so a malformed value
stops every entry point (the `cdp` CLI, `python -m spark_jobs.ingest`, the DAG tasks) with one
line naming the variable and the form it takes; `cdp config` lists every problem at once
(`environment_problems()`). Ranges and relations between settings are `Settings.validate()`'s.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from customer_platform.env_values import (
    ConfigurationError,
    check_choice,
    check_date,
    check_duckdb_memory,
    check_flag,
    check_float,
    check_http_url,
    check_int,
    check_jvm_memory,
    check_location,
    check_mlflow_tracking_uri,
    check_spark_master,
)

log = logging.getLogger(__name__)

Check = Callable[[str, str], Any]


def _currency(name: str, raw: str) -> str:
    if not (len(raw) == 3 and raw.isascii() and raw.isalpha() and raw.isupper()):
        raise ConfigurationError(f"{name}={raw!r} is not a three-letter currency code like GBP")
    return raw


def _secret(name: str, raw: str) -> str:
    """A key long enough to be a secret; the value is never repeated in the message."""
    if len(raw) < 16:
        raise ConfigurationError(f"{name} is too short: use a random secret of at least 16 characters")
    return raw


_positive = partial(check_int, minimum=1)
_choices = {"CDP_SPARK_SUBMIT": ("auto", "always", "never"), "CDP_DBT_EXECUTION_MODE": ("watcher", "local")}

#: Variable -> check of its raw text (variables holding paths, names or free text take any value).
FORMS: dict[str, Check] = {
    "CDP_MAX_QUARANTINE_RATE": check_float,
    "CDP_RFM_WINDOW_DAYS": _positive,
    "CDP_CHURN_HORIZON_DAYS": check_int,
    "CDP_AT_RISK_THRESHOLD": check_float,
    "CDP_DEMO_CUSTOMERS": _positive,
    "CDP_SEED": partial(check_int, minimum=0),
    "CDP_BASE_CURRENCY": _currency,
    "CDP_PII_KEY": _secret,
    **dict.fromkeys(
        ("CDP_START_DATE", "CDP_DEFAULT_LOGICAL_DATE", "CDP_DEMO_START_DATE", "CDP_DEMO_END_DATE"), check_date
    ),
    "SPARK_MASTER": check_spark_master,
    "SPARK_DRIVER_MEMORY": check_jvm_memory,
    "SPARK_SHUFFLE_PARTITIONS": _positive,
    "CDP_SPARK_UI": check_flag,
    **{name: partial(check_choice, choices=choices) for name, choices in _choices.items()},
    "MLFLOW_TRACKING_URI": check_mlflow_tracking_uri,
    "MLFLOW_ARTIFACT_ROOT": check_location,
    "DBT_THREADS": _positive,
    "CDP_DUCKDB_MEMORY_LIMIT": check_duckdb_memory,
    "CDP_ALERT_WEBHOOK_URL": check_http_url,
    "CDP_ALERT_SMTP_PORT": check_int,
    "CDP_ALERT_SMTP_STARTTLS": check_flag,
    **dict.fromkeys(
        (
            "CDP_PSI_WARNING",
            "CDP_PSI_CRITICAL",
            "CDP_SEGMENT_SHIFT_WARNING",
            "CDP_SEGMENT_SHIFT_CRITICAL",
            "CDP_SEGMENT_SHARE_WARNING_PP",
            "CDP_SEGMENT_SHARE_CRITICAL_PP",
            "CDP_STABILITY_ARI_WARNING",
            "CDP_STABILITY_ARI_CRITICAL",
            "CDP_KPI_WARNING_SIGMA",
            "CDP_KPI_SIGMA",
        ),
        check_float,
    ),  # fmt: skip
    "CDP_KPI_WINDOW": check_int,
    "CDP_KPI_MIN_HISTORY": check_int,
}


def environment_problems(environ: Mapping[str, str] | None = None) -> list[str]:
    """One line per variable whose value does not have its allowed form (unset and blank are fine)."""
    environ = os.environ if environ is None else environ
    problems = []
    for name, check in FORMS.items():
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        try:
            check(name, raw)
        except ConfigurationError as problem:
            problems.append(str(problem))
    return problems


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigurationError with the first malformed variable."""
    problems = environment_problems(environ)
    if problems:
        raise ConfigurationError(problems[0])


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Log a WARNING the first time this process sees `message`."""
    if message not in _warned:
        _warned.add(message)
        log.warning(message)
