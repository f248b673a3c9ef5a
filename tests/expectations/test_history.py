"""Which previous partitions form the trailing baseline, and what it measures (Spark)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from expectations.common import GateThresholds
from expectations.history import baseline_days, compute_baseline, first_partition, partition_dir, skipped_note
from tests.expectations import silver_data

DAY = date(2026, 6, 30)


def _day(back: int) -> date:
    return DAY - timedelta(days=back)


def test_baseline_days_are_the_trailing_window_with_data(tmp_path):
    table_dir = tmp_path / "web_events"
    for back in (1, 2, 3, 7, 8, 20):
        folder = partition_dir(table_dir, _day(back))
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_bytes(b"PAR1")
    partition_dir(table_dir, _day(4)).mkdir()  # an empty folder holds no data
    (table_dir / "_staging").mkdir()  # the ingestion job's work area is not a partition

    assert baseline_days(table_dir, DAY, GateThresholds()) == [_day(b) for b in (7, 3, 2, 1)]
    assert first_partition(table_dir) == _day(20)


def test_skipped_note_says_how_many_days_were_found():
    note = skipped_note("demographics", 1, DAY, GateThresholds())

    assert note == (
        "history checks skipped for demographics: 1 previous partition(s) in the 7 days before "
        "2026-06-30, need 3"
    )


def test_baseline_averages_days_and_leaves_out_an_oversized_initial_load(tmp_path, spark):
    table_dir = tmp_path / "silver" / "web_order_lines"
    silver_data.write_partition(
        tmp_path / "silver", "web_order_lines", _day(5), silver_data.web_order_lines(_day(5), 400)
    )
    for back in (4, 3, 2, 1):
        frame = silver_data.web_order_lines(_day(back), 20)
        frame.loc[frame.index[:5], "category"] = None
        silver_data.write_partition(tmp_path / "silver", "web_order_lines", _day(back), frame)

    baseline = compute_baseline(
        spark,
        table_dir,
        baseline_days(table_dir, DAY, GateThresholds()),
        ("category",),
        ("quantity",),
        initial_load=_day(5),
    )

    assert baseline.excluded_initial_load == str(_day(5))
    assert baseline.days == tuple(str(_day(b)) for b in (4, 3, 2, 1))
    assert baseline.mean_rows == 20
    assert baseline.null_rates == {"category": pytest.approx(0.25)}
    assert baseline.means["quantity"] == pytest.approx(
        silver_data.web_order_lines(DAY, 20)["quantity"].mean()
    )


def test_a_normal_first_partition_stays_in_the_baseline(tmp_path, spark):
    table_dir = tmp_path / "silver" / "web_events"
    for back, rows in ((3, 24), (2, 20), (1, 22)):
        silver_data.write_partition(
            tmp_path / "silver", "web_events", _day(back), silver_data.web_events(_day(back), rows)
        )

    baseline = compute_baseline(
        spark, table_dir, baseline_days(table_dir, DAY, GateThresholds()), (), (), initial_load=_day(3)
    )

    assert baseline.excluded_initial_load is None
    assert baseline.mean_rows == 22
