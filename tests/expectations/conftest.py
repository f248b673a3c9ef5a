"""Fixtures of the data-quality gate tests: settings per module, a GX helper, fixture data."""

from __future__ import annotations

import os
from datetime import date

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

LOGICAL_DATE = date(2026, 6, 30)


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory):
    """Settings whose every location lives in one directory shared by a test module."""
    from customer_platform.config import reload_settings

    data_dir = tmp_path_factory.mktemp("dq-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(data_dir))
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        patch.delenv("AIRFLOW_HOME", raising=False)
        yield reload_settings()
    reload_settings()


@pytest.fixture()
def use_sources(monkeypatch):
    """Point the registry at a contracts folder and/or a CDP_SOURCES list; both restored afterwards.

    Returns `use(sources=None, contracts_dir=None) -> Settings`.
    """
    from customer_platform.config import reload_settings

    def _use(sources: str | None = None, contracts_dir=None):
        if contracts_dir is not None:
            monkeypatch.setenv("CDP_CONTRACTS_DIR", str(contracts_dir))
        if sources is not None:
            monkeypatch.setenv("CDP_SOURCES", sources)
        return reload_settings()

    yield _use
    monkeypatch.undo()
    reload_settings()


@pytest.fixture(scope="session")
def validate_frame():
    """Validate a suite against a dataframe in a fresh ephemeral context; return the outcomes."""
    import great_expectations as gx

    from expectations.gx_context import ValidationTarget, run_identifier, validate_target
    from expectations.results import outcomes_from_validation

    def _validate(suite, frame, engine: str = "pandas"):
        context = gx.get_context(mode="ephemeral")
        target = ValidationTarget(suite, frame, engine, suite.name.replace(".", "_"))
        _, result = validate_target(context, target, run_identifier("unit", str(LOGICAL_DATE), "test"))
        return outcomes_from_validation(suite.name, result)

    return _validate


def critical_failures(outcomes):
    """Outcomes that would stop a gate."""
    return [o for o in outcomes if not o.success and o.severity == "critical"]


def failed(outcomes, expectation: str, column: str | None = None):
    """The failed outcomes of one expectation type (optionally on one column)."""
    return [
        o
        for o in outcomes
        if not o.success and o.expectation == expectation and (column is None or o.column == column)
    ]
