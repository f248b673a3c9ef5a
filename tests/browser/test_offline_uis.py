"""The tools' own UIs in headless Chromium with no internet access (only 127.0.0.1 answers).

- Great Expectations Data Docs, built by the marts gate, open from disk and show the validation
  results table (their jQuery, Bootstrap and bootstrap-table are the site's bundled copies).
- The Airflow UI, started with `cdp ui` as the README says, lists exactly the platform's DAGs,
  shows a non-empty task log of a nightly run made by `airflow dags test`, and a run duration of
  seconds, not months; SIGTERM stops it with every component.

Screenshots of each page go to `test-output/<test name>/`.
"""

from __future__ import annotations

import re
import signal
import socket
import time
import urllib.parse
from datetime import date, timedelta

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from customer_platform.config import REPO_ROOT
from expectations.data_docs_offline import SITE_ASSETS
from expectations.runner import run_gate
from expectations.suites.catalog import suite_names
from tests.conftest import fresh_console, screenshot
from tests.expectations import marts_data

DAY = "2026-06-30"


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _wait_for(driver, condition, seconds: float = 60):
    return WebDriverWait(driver, seconds, poll_frequency=0.5).until(condition)


_RESULT_ROWS = "table.ge-index-page-validation-results-table tbody tr[data-href]"


def _validation_suites(driver) -> set[str] | None:
    """The suite names of the index's validation rows (None while they are missing or being redrawn)."""
    try:
        rows = driver.find_elements(By.CSS_SELECTOR, _RESULT_ROWS)
        return {row.find_elements(By.TAG_NAME, "td")[-1].text for row in rows} or None
    except StaleElementReferenceException:
        return None


def _click_first_result(driver) -> bool:
    try:
        driver.find_elements(By.CSS_SELECTOR, _RESULT_ROWS)[0].click()
        return True
    except (IndexError, StaleElementReferenceException):
        return False


def test_the_internet_is_unreachable_from_the_test_browser(chromium):
    with pytest.raises(WebDriverException, match="ERR_"):
        chromium.get("https://code.jquery.com/jquery-3.7.1.min.js")


def test_data_docs_show_the_validation_results_offline(chromium, isolated_settings, test_output_dir):
    day = date.fromisoformat(DAY)
    tables = marts_data.clean_marts(day)
    tables["customer_segments"] = marts_data.customer_segments(
        marts_data.customer_ids(28), day - timedelta(days=1)
    )
    marts_data.write_warehouse(isolated_settings.warehouse_path, tables)
    index = run_gate("marts", DAY, "browser").data_docs_index
    assert (index.parent / SITE_ASSETS / "jquery-3.7.1" / "jquery.min.js").is_file()

    fresh_console(chromium)
    chromium.get(index.as_uri())
    # bootstrap-table redraws the table once it has initialised (its toolbar appears): rows are
    # read after that, and looked up afresh for the click, so none is a stale reference.
    _wait_for(chromium, lambda d: d.find_elements(By.CSS_SELECTOR, ".fixed-table-toolbar .search input"))
    suites = _wait_for(chromium, _validation_suites, seconds=30)
    screenshot(chromium, test_output_dir / "data-docs-index.png")

    assert suites == set(suite_names("marts")), suites
    assert chromium.execute_script("return document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    assert not _severe(chromium), _severe(chromium)

    _wait_for(chromium, _click_first_result, seconds=30)  # a row opens its validation result page
    _wait_for(chromium, lambda d: "Expectation Validation Result" in d.find_element(By.TAG_NAME, "body").text)
    screenshot(chromium, test_output_dir / "data-docs-validation.png")
    assert chromium.find_elements(By.CSS_SELECTOR, "i.fas.fa-check-circle, i.fas.fa-times")
    assert not _severe(chromium), _severe(chromium)


def _log_in(driver, ui) -> None:
    driver.get(ui.url + "auth/login")
    _wait_for(driver, lambda d: d.find_element(By.NAME, "username")).send_keys(ui.user)
    driver.find_element(By.NAME, "password").send_keys(ui.password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait_for(driver, lambda d: "/auth/login" not in d.current_url)


def _dag_names(driver) -> set[str]:
    links = driver.find_elements(By.CSS_SELECTOR, "a[href^='/dags/']")
    return {a.text for a in links if a.text and a.get_attribute("href").endswith(f"/dags/{a.text}")}


def _port_open(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    with socket.socket() as probe:
        return probe.connect_ex((parsed.hostname, parsed.port)) == 0


def test_the_airflow_ui_shows_the_platforms_dags_and_a_nightly_task_log(
    chromium, airflow_ui, nightly_run, test_output_dir
):
    platform_dags = {path.stem for path in (REPO_ROOT / "dags").glob("*.py") if not path.name.startswith("_")}
    _log_in(chromium, airflow_ui)

    chromium.get(airflow_ui.url + "dags")
    _wait_for(chromium, lambda d: "customer_platform_nightly" in _dag_names(d))
    time.sleep(1)  # the list renders in one pass; let every card land
    screenshot(chromium, test_output_dir / "airflow-dags.png")
    assert _dag_names(chromium) == platform_dags
    assert f"{len(platform_dags)} Dags" in chromium.find_element(By.TAG_NAME, "body").text

    run = urllib.parse.quote(nightly_run.run_id)
    chromium.get(f"{airflow_ui.url}dags/customer_platform_nightly/runs/{run}/tasks/{nightly_run.task_id}")
    _wait_for(chromium, lambda d: "Done. Returned value was" in d.find_element(By.TAG_NAME, "body").text)
    screenshot(chromium, test_output_dir / "airflow-task-log.png")
    assert "'source': 'crm_customers'" in chromium.find_element(By.TAG_NAME, "body").text

    chromium.get(f"{airflow_ui.url}dags/customer_platform_nightly/runs/{run}")
    duration = _wait_for(
        chromium,
        lambda d: re.search(r"Duration\s+(\d\d):(\d\d):(\d\d)", d.find_element(By.TAG_NAME, "body").text),
    )
    screenshot(chromium, test_output_dir / "airflow-run.png")
    hours, minutes, _ = map(int, duration.groups())
    assert hours == 0 and minutes < 10, f"the run lasted seconds, the UI says {duration.group(0)}"

    airflow_ui.process.send_signal(signal.SIGTERM)
    assert airflow_ui.process.wait(timeout=60) == 0
    assert not _port_open(airflow_ui.url), "a component still listens after cdp ui stopped"
