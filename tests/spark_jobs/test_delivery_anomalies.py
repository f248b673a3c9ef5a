"""Integration: poor deliveries still ingest, each with a named anomaly in the manifest and the run summary."""

from __future__ import annotations

import hashlib
import shutil

from cdp.delivery_summary import format_deliveries
from spark_jobs.ingest import ingest_dates, ingest_source
from tests.spark_jobs.lake import manifest, read_table
from tests.spark_jobs.landing_files import drop_dir, valid_rows, write_drop

DAYS = ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]


def _codes(m: dict) -> list[str]:
    return [a["code"] for a in m["anomalies"]]


def test_normal_deliveries_raise_no_anomaly(spark, isolated_settings):
    s = isolated_settings
    for i, (day, n) in enumerate(zip(DAYS, (40, 37, 43, 39), strict=True)):
        write_drop(s.landing_dir, "web_orders", day, valid_rows("web_orders", n, start=1 + 100 * i))
    manifests = ingest_dates("web_orders", DAYS, spark=spark)
    assert [(m["status"], m["anomalies"], m["anomaly_count"], m["warnings"]) for m in manifests] == [
        ("ok", [], 0, [])
    ] * 4
    last = manifest(s, "web_orders", DAYS[-1])
    assert [len(f["sha256"]) for f in last["files"]] == [64]
    assert format_deliveries({"web_orders": last}) == ["Delivery anomalies: none"]


def test_header_only_and_empty_files_are_named(spark, isolated_settings):
    s = isolated_settings
    day = DAYS[0]
    write_drop(s.landing_dir, "email_engagement", day, valid_rows("email_engagement", 40))
    write_drop(s.landing_dir, "email_engagement", day, [], name="header_only.csv")
    write_drop(s.landing_dir, "email_engagement", day, ["", ""], name="header_blank_lines.csv")
    (drop_dir(s.landing_dir, "email_engagement", day) / "zero.csv").write_bytes(b"")
    write_drop(s.landing_dir, "web_events", day, valid_rows("web_events", 40))
    write_drop(s.landing_dir, "web_events", day, ["", "  "], name="blank.jsonl")  # no record at all

    m = ingest_source("email_engagement", day, spark=spark)
    events = ingest_source("web_events", day, spark=spark)

    assert (m["status"], m["rows_bronze"], m["silver_published"]) == ("ok", 40, True)
    by_file = {a["file"].split("/")[-1]: a["code"] for a in m["anomalies"]}
    assert by_file == {
        "header_only.csv": "header_only_file",
        "header_blank_lines.csv": "header_only_file",
        "zero.csv": "empty_file",
    }
    assert m["anomaly_count"] == 3
    assert (
        "header_only_file: email_engagement/2026-06-01/header_only.csv has a header and no data rows"
        in (m["warnings"])
    )
    assert _codes(events) == ["empty_file"] and events["status"] == "ok"
    assert manifest(s, "email_engagement", day)["anomalies"] == m["anomalies"]
    text = "\n".join(format_deliveries({"email_engagement": m, "web_events": events}))
    assert "Delivery anomalies (4: empty_file 2, header_only_file 2)" in text
    assert "header_blank_lines.csv has a header and no data rows" in text


def test_low_volume_against_the_previous_days_needs_enough_history(spark, isolated_settings):
    s = isolated_settings
    for i, day in enumerate(DAYS[:2]):
        write_drop(s.landing_dir, "pos_orders", day, valid_rows("pos_orders", 40, start=1 + 100 * i))
    for i, day in enumerate(DAYS[2:]):
        write_drop(s.landing_dir, "pos_orders", day, valid_rows("pos_orders", 2, start=500 + 100 * i))

    # Day 3 has two previous days: too little history (the rule needs three), no warning.
    first_pass = ingest_dates("pos_orders", DAYS[:3], spark=spark)
    assert [_codes(m) for m in first_pass] == [[], [], []]
    # Day 4 against days 1-3 read back from their manifests: mean 27.3, at least 7 expected.
    low = ingest_source("pos_orders", DAYS[3], spark=spark)

    assert (low["status"], low["rows_bronze"], low["silver_published"]) == ("ok", 2, True)
    assert _codes(low) == ["low_volume"]
    message = low["anomalies"][0]["message"]
    assert "pos_orders delivered 2 rows on 2026-06-04, 7% of its mean of 27.3 over 3 previous days" in message
    assert "(2026-06-01..2026-06-03)" in message and message.endswith("expects at least 7")
    assert any(w.startswith("low_volume: ") for w in manifest(s, "pos_orders", DAYS[3])["warnings"])


def test_a_file_delivered_again_is_a_duplicate_delivery(spark, isolated_settings):
    s = isolated_settings
    first = write_drop(s.landing_dir, "web_orders", DAYS[0], valid_rows("web_orders", 6))
    ingest_source("web_orders", DAYS[0], spark=spark)
    folder = drop_dir(s.landing_dir, "web_orders", DAYS[1])
    shutil.copy(first, folder / "again.csv")  # yesterday's file, delivered again today
    fresh = write_drop(
        s.landing_dir, "web_orders", DAYS[1], valid_rows("web_orders", 4, start=50), name="b.csv"
    )
    shutil.copy(fresh, folder / "c.csv")  # the same file twice in one drop

    m = ingest_source("web_orders", DAYS[1], spark=spark)

    assert (m["status"], m["rows_read"], m["rows_bronze"], m["silver_published"]) == ("ok", 14, 14, True)
    assert [(a["code"], a["file"].split("/")[-1]) for a in m["anomalies"]] == [
        ("duplicate_delivery", "again.csv"),
        ("duplicate_delivery", "c.csv"),
    ]
    assert "identical to web_orders/2026-06-01/web_orders.csv" in m["anomalies"][0]["message"]
    assert "identical to web_orders/2026-06-02/b.csv" in m["anomalies"][1]["message"]
    hashes = {f["file"].split("/")[-1]: f["sha256"] for f in m["files"]}
    (yesterday,) = manifest(s, "web_orders", DAYS[0])["files"]
    assert hashes["again.csv"] == hashlib.sha256(first.read_bytes()).hexdigest() == yesterday["sha256"]
    # Re-running the date does not count its own earlier run as a delivery before it.
    again = ingest_source("web_orders", DAYS[1], spark=spark)
    assert again["anomalies"] == m["anomalies"]
    assert len(read_table(s.silver_dir / "web_order_lines")) == 6 + 10  # today's silver keeps its 10 keys
