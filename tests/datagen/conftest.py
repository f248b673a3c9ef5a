"""One small default run and one run with raised messiness rates, shared by the datagen tests."""

from __future__ import annotations

from datetime import date

import pytest

from datagen.generator import generate
from datagen.profiles import MessRates

START, END = date(2026, 6, 1), date(2026, 6, 5)
CUSTOMERS = 300
#: Raised rates so shares can be measured precisely on a small run.
HIGH_MESS = MessRates(
    malformed_line=0.05,
    broken_json=0.05,
    email_messy=0.30,
    non_positive_price=0.02,
    crm_exact_duplicate=0.05,
    name_typo=0.10,
    crm_daily_update=0.02,
)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """(landing folder, report) for 300 persons over 5 days with the default rates."""
    out = tmp_path_factory.mktemp("datagen-default")
    return out, generate(out, CUSTOMERS, START, END, seed=7)


@pytest.fixture(scope="session")
def messy_run(tmp_path_factory):
    """(landing folder, report) with raised messiness rates."""
    out = tmp_path_factory.mktemp("datagen-messy")
    return out, generate(out, CUSTOMERS, START, END, seed=11, rates=HIGH_MESS)
