"""The dashboard page against a small warehouse: the numbers, missing tables, no personal data, a run writing."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request

import duckdb
import pytest

from cdp.cli import main
from customer_platform.config import reload_settings
from dashboard.page import BANNER_MARK, render
from dashboard.reader import WarehouseBusy, read_only
from dashboard.server import BUSY, LAST_PAGE, Dashboard, make_server
from tests.dashboard.conftest import write_lock
from tests.dashboard.expected import expected_metrics, mismatches, number, shown_in_html
from tests.dashboard.tiny_warehouse import CUSTOMERS, build_dashboard_warehouse

SECTIONS = ("segments", "movement", "quality", "identity", "activation")


def test_every_number_checked_on_the_page_equals_the_warehouse(dashboard_warehouse):
    page = render(dashboard_warehouse).html
    shown = shown_in_html(page)
    expected = expected_metrics(dashboard_warehouse)

    assert not mismatches(expected, shown)
    assert sum(v for k, v in expected.items() if k.startswith("segment-size:")) == CUSTOMERS
    # Statuses without checks are shown as zero, not left out.
    assert all(
        number(v) == 0 for k, v in shown.items() if k.startswith("drift-status:") and k not in expected
    )
    assert shown["drift-status:critical"] == "1" and shown["drift-status:warning"] == "1"


def test_movement_counts_the_newest_model_version_of_each_of_the_last_two_runs(dashboard_warehouse):
    con = duckdb.connect(str(dashboard_warehouse), read_only=True)
    try:
        stayed, moved, new = con.execute(
            """
            with p as (select unified_customer_id, segment_name from marts.segment_history
                       where logical_date = '2026-06-29'),
                 c as (select unified_customer_id, segment_name from marts.segment_history
                       where logical_date = '2026-06-30' and model_version = 2)
            select count(*) filter (where p.segment_name = c.segment_name),
                   count(*) filter (where p.segment_name <> c.segment_name),
                   count(*) filter (where p.unified_customer_id is null)
            from c left join p using (unified_customer_id)
            """
        ).fetchone()
    finally:
        con.close()
    shown = shown_in_html(render(dashboard_warehouse).html)

    assert (number(shown["segment-stayed"]), number(shown["segment-moved"])) == (stayed, moved)
    assert number(shown["segment-new"]) == new == 40
    assert number(shown["segment-gone"]) == 0


def test_every_section_has_charts_as_inline_svg_and_the_page_loads_nothing(dashboard_warehouse):
    page = render(dashboard_warehouse).html

    for key in SECTIONS:
        section = page.split(f'data-section="{key}"', 1)[1].split("</section>", 1)[0]
        assert "<svg" in section, f"section {key} has no chart"
    assert "<script" not in page
    # Every src / href points inside the page (#id) or is inline data: nothing is fetched.
    assert not re.findall(r'(?:src|href)="(?!#|data:)[^"]*"', page)
    assert "read-only" in page


def test_a_section_whose_tables_are_missing_says_not_built_yet(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    build_dashboard_warehouse(
        path,
        without=("marts.dq_results", "marts.model_monitoring", "marts.audience_members", "marts.campaign_results",
                 "marts.customer_identity_map", "marts.customer_predictions"),
    )  # fmt: skip
    page = render(path).html

    for key in ("quality", "identity", "activation"):
        section = page.split(f'data-section="{key}"', 1)[1].split("</section>", 1)[0]
        assert 'data-missing="true"' in section and "Not built yet" in section
    assert "not built yet (marts.customer_predictions does not exist)" in page
    assert "segment-size:Big spenders" in page


def test_an_empty_warehouse_renders_every_section_as_not_built(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()

    page = render(path).html

    assert page.count('data-missing="true"') == len(SECTIONS)


def test_the_page_shows_no_personal_data(dashboard_warehouse):
    page = render(dashboard_warehouse).html

    assert "@mail.example" not in page and "Firstname" not in page
    assert "U00" not in page  # not even customer ids


def test_a_held_write_lock_is_reported_as_a_run_writing(dashboard_warehouse):
    with write_lock(dashboard_warehouse), pytest.raises(WarehouseBusy), read_only(dashboard_warehouse):
        pass


def test_while_a_run_writes_the_last_page_is_served_from_disk_with_a_banner(dashboard_warehouse, tmp_path):
    store = tmp_path / "reports" / "dashboard"
    fresh = Dashboard(dashboard_warehouse, store).page()
    assert fresh.fresh and BANNER_MARK in fresh.html and (store / LAST_PAGE).is_file()

    with write_lock(dashboard_warehouse):
        restarted = Dashboard(dashboard_warehouse, store, cache_seconds=0).page()  # memory empty: disk
    assert restarted.status == 200 and not restarted.fresh
    assert BUSY in restarted.html and 'data-banner="run-writing"' in restarted.html
    assert shown_in_html(restarted.html) == shown_in_html(fresh.html)


def test_while_a_run_writes_with_no_page_kept_a_plain_message_is_served(dashboard_warehouse, tmp_path):
    with write_lock(dashboard_warehouse):
        page = Dashboard(dashboard_warehouse, tmp_path / "empty", cache_seconds=0).page()

    assert page.status == 503 and BUSY in page.html
    assert "Traceback" not in page.html and "data-metric" not in page.html


def test_a_page_younger_than_the_cache_period_is_served_without_reading_again(dashboard_warehouse, tmp_path):
    dashboard = Dashboard(dashboard_warehouse, tmp_path, cache_seconds=600)
    first = dashboard.page()
    with write_lock(dashboard_warehouse):
        second = dashboard.page()

    assert second.html == first.html and second.fresh


def test_the_server_answers_the_page_and_refuses_other_paths(dashboard_warehouse, tmp_path):
    server = make_server(Dashboard(dashboard_warehouse, tmp_path), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(url + "/", timeout=60) as response:
            assert response.status == 200 and "text/html" in response.headers["Content-Type"]
            assert 'data-metric="identity-records"' in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "/favicon.ico", timeout=10)
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_render_only_writes_the_page_and_refuses_while_a_run_writes(
    dashboard_warehouse, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(dashboard_warehouse))
    reload_settings()
    out = tmp_path / "page" / "dashboard.html"
    try:
        assert main(["dashboard", "--render-only", str(out)]) == 0
        assert 'data-metric="segment-size:Big spenders"' in out.read_text(encoding="utf-8")
        out.unlink()
        with write_lock(dashboard_warehouse):
            assert main(["dashboard", "--render-only", str(out)]) == 1
        assert not out.exists() and "a run is writing" in capsys.readouterr().err
    finally:
        monkeypatch.undo()
        reload_settings()
