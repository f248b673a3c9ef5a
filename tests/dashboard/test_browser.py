"""`cdp dashboard` in a real browser: headless Debian Chromium opens the served page.

The page must load without a single console error, show the warehouse's numbers (segment sizes,
identity counts, gate counts, drift statuses, audience members), and while another process
holds the warehouse's write lock it must say a run is writing and still show the last page. A
full-page screenshot of each state is saved under `test-output/<test name>/`.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.conftest import fresh_console, screenshot
from tests.dashboard.conftest import write_lock
from tests.dashboard.expected import expected_metrics, mismatches


def _open(driver, url: str) -> list[dict]:
    """Load `url` and return the console entries it produced (the log is emptied by reading it)."""
    fresh_console(driver)
    driver.get(url)
    driver.find_element(By.TAG_NAME, "footer")  # the page is complete
    return driver.get_log("browser")


def _severe(entries: list[dict]) -> list[str]:
    return [entry["message"] for entry in entries if entry["level"] == "SEVERE"]


def _shown(driver) -> dict[str, str]:
    return {
        e.get_attribute("data-metric"): e.text.strip()
        for e in driver.find_elements(By.CSS_SELECTOR, "[data-metric]")
    }


def test_the_dashboard_in_chromium_shows_the_warehouse_and_a_run_writing(
    chromium, dashboard_url, dashboard_warehouse, test_output_dir
):
    console = _open(chromium, dashboard_url)
    page = screenshot(chromium, test_output_dir / "dashboard.png")

    assert not _severe(console), f"console errors: {_severe(console)}"
    assert "Customer platform" in chromium.title
    assert "read-only" in chromium.find_element(By.CSS_SELECTOR, "[data-read-only]").text
    shown = _shown(chromium)
    expected = expected_metrics(dashboard_warehouse)
    assert not mismatches(expected, shown), mismatches(expected, shown)
    assert any(k.startswith("drift-status:") for k in expected) and any(
        k.startswith("audience-members:") for k in expected
    )
    charts = chromium.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(charts) >= 8 and all(c.size["width"] > 100 and c.size["height"] > 50 for c in charts)
    assert not chromium.find_elements(By.CSS_SELECTOR, "[data-banner]")
    assert page.stat().st_size > 10_000

    with write_lock(dashboard_warehouse):
        console = _open(chromium, dashboard_url)
        screenshot(chromium, test_output_dir / "dashboard-while-a-run-writes.png")
        banner = chromium.find_element(By.CSS_SELECTOR, "[data-banner='run-writing']").text
        stale = _shown(chromium)

    assert not _severe(console), f"console errors: {_severe(console)}"
    assert "A run is writing the warehouse" in banner
    assert stale == shown  # the last good page, not an error
    _open(chromium, dashboard_url)
    assert not chromium.find_elements(By.CSS_SELECTOR, "[data-banner]"), "the banner outlived the run"
