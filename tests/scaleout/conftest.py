"""The scale-out stack for the `scaleout` tier: started once per module, stopped whatever happens."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.scaleout.environment import Layout, Ports, stack_environment
from tests.scaleout.services import prepare_history, start_airflow, start_mlflow, start_spark, trigger_night
from tests.scaleout.stack import Stack

#: A small night: a few hundred customers, two days of history, then the logical date itself.
CUSTOMERS = 300
FIRST_DATE = "2026-06-01"
LOGICAL_DATE = "2026-06-03"
#: Dataset settings of the tier, as .env.example names them (everything else is the file's value).
OVERRIDES = {"CDP_DEFAULT_LOGICAL_DATE": LOGICAL_DATE, "CDP_DEMO_CUSTOMERS": str(CUSTOMERS)}
#: Ceiling of the nightly run through the scheduler (it takes a few minutes on two cores).
NIGHT_TIMEOUT_SECONDS = 1800


@pytest.fixture(scope="module")
def scaleout_stack():
    """PostgreSQL, Spark master + worker, MLflow server and Airflow (api-server, scheduler, dag-processor)."""
    # Not under pytest's owner-only temporary root: PostgreSQL runs as its own account and must reach its folder.
    root = Path(tempfile.mkdtemp(prefix="cdp-scaleout-"))
    root.chmod(0o755)
    ports = Ports(*(free_port() for _ in range(6)))
    layout = Layout(root)
    stack = Stack(layout, ports, stack_environment(ports, layout, OVERRIDES))
    try:
        stack.start_postgres()
        start_spark(stack)
        start_mlflow(stack)
        prepare_history(stack, CUSTOMERS, FIRST_DATE, LOGICAL_DATE)
        start_airflow(stack)
        yield stack
    finally:
        stack.stop()
        print(
            f"\nscale-out stack: {time.monotonic() - stack.started_at:.0f} s from start to stop; root {root}"
        )
        if not os.environ.get("CDP_SCALEOUT_KEEP"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def scaleout_night(scaleout_stack):
    """`customer_platform_nightly` for LOGICAL_DATE, triggered through the scheduler and finished."""
    night = trigger_night(scaleout_stack, LOGICAL_DATE, NIGHT_TIMEOUT_SECONDS)
    print(
        f"\n{night.run_id}: {night.state} in {night.seconds:.0f} s, {len(night.task_states)} task instances"
    )
    return night
