"""Shared fixtures (an isolated data directory for the whole session, one SparkSession) and the test tiers."""

from __future__ import annotations

import ast
import functools
import inspect
import os
import re
import socket
import sys
import textwrap
from pathlib import Path

import pytest

# Before any platform import reads configuration: no network calls, quiet tools.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SPARK_SHUFFLE_PARTITIONS", "2")
os.environ.setdefault("SPARK_MASTER", "local[2]")
os.environ.setdefault("SPARK_DRIVER_MEMORY", "2g")
# One OpenMP/BLAS thread per process (read when scikit-learn's and numpy's native libraries load,
# so before any of them is imported). Tests share a 2-core machine with Spark JVMs and other
# runs; two spinning OpenMP threads made the churn model's HistGradientBoosting fit 7-20x slower
# there, with identical predictions (segmentation's selection limits its threads for this reason).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session", autouse=True)
def session_data_dir(tmp_path_factory):
    """Point every location at a temporary data directory for the test session."""
    from customer_platform.config import reload_settings

    data_dir = tmp_path_factory.mktemp("cdp-data")
    previous = {k: os.environ.get(k) for k in ("CDP_DATA_DIR", "AIRFLOW_HOME", "MLFLOW_TRACKING_URI")}
    os.environ["CDP_DATA_DIR"] = str(data_dir)
    for key in ("AIRFLOW_HOME", "MLFLOW_TRACKING_URI"):
        os.environ.pop(key, None)
    reload_settings()
    yield data_dir
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reload_settings()


@pytest.fixture()
def isolated_settings(tmp_path, monkeypatch):
    """Settings whose every location lives under this test's own tmp_path."""
    from customer_platform.config import reload_settings

    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    settings = reload_settings()
    yield settings
    monkeypatch.undo()
    reload_settings()


@pytest.fixture()
def test_output_dir(request):
    """`test-output/<test name>/` at the repository root (or under CDP_TEST_OUTPUT_DIR): files a test
    leaves for people to look at (screenshots), kept after the run and ignored by git."""
    from customer_platform.config import REPO_ROOT

    root = Path(os.environ.get("CDP_TEST_OUTPUT_DIR") or REPO_ROOT / "test-output")
    folder = root / re.sub(r"[^A-Za-z0-9._-]+", "_", request.node.name).strip("_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Chromium flags that leave it only the loopback network: names resolve to nothing but localhost,
#: and anything not on 127.0.0.1 goes to a proxy on a closed port (loopback bypasses proxies).
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Selenium (never a downloaded browser or driver), offline.

    Only 127.0.0.1 answers (OFFLINE_FLAGS): every page under test must work with no internet access.
    """
    if not CHROMIUM.is_file():
        if os.environ.get("CDP_REQUIRE_BROWSER"):
            pytest.fail(
                f"CDP_REQUIRE_BROWSER is set but {CHROMIUM} is missing: apt-get install chromium chromium-driver"
            )
        pytest.skip(
            f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver; CI sets CDP_REQUIRE_BROWSER)"
        )
    assert CHROMEDRIVER.is_file(), f"{CHROMEDRIVER} is missing: apt-get install chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        *OFFLINE_FLAGS,
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path skips Selenium Manager, which would otherwise try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def fresh_console(driver) -> None:
    """Leave the previous page (its scripts stop) and empty the console log, so the next page's entries are its own.

    The browser is shared by the session: a page left open keeps polling its server after the
    test that opened it stopped that server, and its errors would land in the next test's log.
    """
    driver.get("about:blank")
    driver.get_log("browser")


def screenshot(driver, path: Path) -> Path:
    """Save the whole page, beyond the window's height, as a PNG at `path`."""
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


@pytest.fixture(scope="session")
def spark():
    """The one SparkSession of the test session."""
    from spark_jobs.session import get_spark

    return get_spark("customer-platform-tests")


# Test tiers ---------------------------------------------------------------------------------
# Tiers are assigned here; a test file need not mark itself (explicit marks are kept). A test is in a tier when
# - it (or a fixture it uses, directly or through other fixtures) calls an engine entry point
#   listed in ENGINE_CALLS: the source of the test and of every fixture in its closure is read;
# - it uses a fixture of TIER_FIXTURES (engines reached through helpers the scan cannot see);
# - its module is in TIER_MODULES, or it carries an explicit @pytest.mark.<tier>.
# `unit` is what is left: no Spark session, no dbt, no DAG. `make test-fast` runs `-m unit`;
# a unit test that starts an engine anyway fails, naming itself (see `_audit` below).
TIERS = ("spark", "dbt", "airflow", "e2e", "browser", "scaleout")

#: Engine entry points: a call to one of these names in a test or fixture body puts the test in
#: these tiers (found with `ast`, so strings and comments do not count).
ENGINE_CALLS: dict[str, set[str]] = {
    "get_spark": {"spark"},
    "ingest_source": {"spark"},
    "ingest_dates": {"spark"},
    "run_ingestion": {"spark"},
    "submit_ingestion": {"spark"},
    "dbt_build": {"dbt"},
    "run_dbt": {"dbt"},
    "dbt_parse": {"dbt"},
    "dbtRunner": {"dbt"},
    "ensure_dbt_manifest": {"dbt"},
    "DagBag": {"airflow"},
    "load_dagbag": {"airflow", "dbt"},  # tests/cdp/dagbag.py: parses dbt for Cosmos, then the DAGs
    "init_airflow": {"airflow", "dbt"},  # cdp.airflow_env: metadata database, then dbt parse for Cosmos
    "dags_test": {"airflow"},  # cdp.airflow_env: `airflow dags test`
}

#: Fixtures that reach an engine through a helper (their users are in these tiers too).
TIER_FIXTURES: dict[str, set[str]] = {
    "spark": {"spark"},  # the session's one SparkSession
    "dbt": {
        "generated",  # landing -> Spark -> dbt (tests/dbt/generated_warehouse.py)
        "person_file",  # the person-file scenario, landing -> Spark -> dbt (tests/dbt/person_file_warehouse.py)
        "day_by_day",  # the nightly DAG's stages in process (tests/platform/test_backfill.py)
        "backfilled",  # `cdp backfill --in-process` (tests/platform/test_backfill.py)
    },
    "airflow": {"dagbag", "day_by_day", "backfilled"},
    "e2e": {"platform_run"},  # `cdp run` in a subprocess (tests/test_end_to_end.py)
    "browser": {"chromium"},  # headless Debian Chromium through Selenium (the `chromium` fixture above)
    # PostgreSQL, Spark master + worker, MLflow server, Airflow services (tests/scaleout/conftest.py)
    "scaleout": {"scaleout_stack", "scaleout_night"},
}

#: Modules whose every test is in a tier (paths relative to the repository).
TIER_MODULES: dict[str, set[str]] = {
    "tests/test_end_to_end.py": {"e2e"},  # `cdp run`: generator, Spark, dbt, Airflow, MLflow
}


@functools.cache
def _engines_called(function) -> frozenset[str]:
    """Tiers of the engine entry points that `function`'s own body calls."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    tiers: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            tiers |= ENGINE_CALLS.get(name, set())
    return frozenset(tiers)


def item_tiers(item: pytest.Item) -> set[str]:
    """The tiers of one collected test (empty: a unit test)."""
    tiers = {m.name for m in item.iter_markers() if m.name in TIERS}
    tiers |= {tier for tier, names in TIER_FIXTURES.items() if names & set(item.fixturenames)}
    tiers |= TIER_MODULES.get(item.nodeid.split("::", 1)[0], set())
    functions = [getattr(item, "function", None)]
    fixture_defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    functions += [d.func for defs in fixture_defs.values() for d in defs]
    for function in functions:
        if function is not None:
            tiers |= _engines_called(function)
    return tiers


def pytest_collection_modifyitems(config, items):
    for item in items:
        for tier in sorted(item_tiers(item)) or ["unit"]:
            if item.get_closest_marker(tier) is None:
                item.add_marker(tier)


# A unit test that starts Spark, runs dbt, loads or runs a DAG fails with the reason, so the unit
# tier stays fast and honest. Checked by an audit hook (no engine is imported for this): Spark's
# JVM, `airflow dags test` and `cdp run` start subprocesses; dbt and DagBag are patched lazily.
_UNIT_TEST: list[str] = []  # node id of the unit test being set up / run / torn down


def _engine_started(event: str, args: tuple) -> str | None:
    if event == "subprocess.Popen":
        argv = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
        words = [os.path.basename(str(a)) for a in argv]
        if "spark-submit" in words:
            return "starts Spark (spark-submit)"
        if any(a == "dags" and b == "test" for a, b in zip(words, words[1:], strict=False)):
            return "runs a DAG (airflow dags test)"
        if "cdp.cli" in words and ("run" in words or "backfill" in words):
            return "runs the platform (cdp run / backfill)"
    for module_name, class_name, method in _GUARDED:
        module = sys.modules.get(module_name)
        if module is not None and not getattr(module, "_cdp_guarded", False):
            _guard(module, class_name, method)
    return None


#: In-process engines: (module, class, method) refused in unit tests once the module is loaded.
_GUARDED = (
    ("dbt.cli.main", "dbtRunner", "invoke"),
    ("airflow.dag_processing.dagbag", "DagBag", "__init__"),
)
_WHAT = {"dbtRunner": "runs dbt", "DagBag": "loads DAGs into a DagBag"}


def _guard(module, class_name: str, method: str) -> None:
    cls = getattr(module, class_name, None)
    if cls is None:  # the module is still being imported
        return
    original = getattr(cls, method)

    def guarded(self, *args, **kwargs):
        if _UNIT_TEST:
            raise _not_unit(_WHAT[class_name])
        return original(self, *args, **kwargs)

    setattr(cls, method, guarded)
    module._cdp_guarded = True


def _not_unit(what: str) -> RuntimeError:
    return RuntimeError(
        f"{_UNIT_TEST[0]} is in the unit tier but {what}: give it the fixture of its tier or mark it "
        f"@pytest.mark.spark / dbt / airflow (tier rules at the end of tests/conftest.py)"
    )


def _audit(event: str, args: tuple) -> None:
    if _UNIT_TEST:
        reason = _engine_started(event, args)
        if reason:
            raise _not_unit(reason)


sys.addaudithook(_audit)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    unit = item.get_closest_marker("unit") is not None
    if unit:
        _UNIT_TEST.append(item.nodeid)
    try:
        yield
    finally:
        if unit:
            _UNIT_TEST.clear()
