"""Integration: landing files -> bronze / quarantine / silver / manifests with the real engine."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from customer_platform.config import reload_settings
from spark_jobs.ingest import QuarantineThresholdExceeded, ingest_dates, ingest_source
from spark_jobs.transforms.standardize import normalize_email_py, salted_sha256_py
from tests.spark_jobs.lake import leftovers, manifest, partition_checksums, read_table
from tests.spark_jobs.landing_files import COLUMNS, drop_dir, row, valid_rows, write_drop

D1, D2 = "2026-06-02", "2026-06-03"
EXAMPLES = Path(__file__).resolve().parents[2] / "spark_jobs" / "examples"


def test_messy_drop_reconciles_per_file_and_dedups_into_silver(spark, isolated_settings):
    s = isolated_settings
    rows = valid_rows("web_orders", 40)
    main = write_drop(
        s.landing_dir, "web_orders", D2, [*rows, rows[0], row("web_orders", 99, ordered_at="xx")]
    )
    drift_header = [
        "currency",
        "order_id",
        "line_number",
        "customer_id",
        "ordered_at",
        "order_status",
        "sku",
        "quantity",
        "unit_price",
        "coupon",
    ]
    write_drop(
        s.landing_dir,
        "web_orders",
        D2,
        valid_rows("web_orders", 5, start=41, coupon="X", currency="EUR"),
        header=drift_header,
        name="drift.csv",
        crlf=True,
        bom=True,
    )
    write_drop(
        s.landing_dir,
        "web_orders",
        D2,
        valid_rows("web_orders", 2, start=50),
        header=[c for c in COLUMNS["web_orders"] if c != "customer_id"],
        name="no_customer.csv",
    )
    (drop_dir(s.landing_dir, "web_orders", D2) / "empty.csv").write_bytes(b"")
    (drop_dir(s.landing_dir, "web_orders", D2) / "readme.md").write_text("not data")

    # Tiny splits: every file is read as several blocks, so line numbering must stitch them.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "600")
    try:
        m = ingest_source("web_orders", D2, run_id="run-1", spark=spark)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")

    files = {f["file"].split("/")[-1]: f for f in m["files"]}
    assert {k: (f["rows_read"], f["rows_bronze"], f["rows_quarantined"]) for k, f in files.items()} == {
        "web_orders.csv": (42, 41, 1),
        "drift.csv": (5, 5, 0),
        "no_customer.csv": (2, 0, 2),
        "empty.csv": (0, 0, 0),
    }
    assert (
        m["rows_read"],
        m["rows_bronze"],
        m["rows_quarantined"],
        m["rows_silver"],
        m["rows_duplicates"],
    ) == (49, 46, 3, 45, 1)
    bronze = read_table(s.bronze_dir / "web_orders")
    quarantine = read_table(s.quarantine_dir / "web_orders")
    silver = read_table(s.silver_dir / "web_order_lines")
    for name, f in files.items():  # what the manifest says is what a reader finds
        assert sum(r["_source_file"].endswith(name) for r in bronze) == f["rows_bronze"]
        assert sum(r["_source_file"].endswith(name) for r in quarantine) == f["rows_quarantined"]
    bad = next(r for r in quarantine if r["_source_file"].endswith("web_orders.csv"))
    lines = main.read_text().splitlines()
    assert bad["_reason"] == "unparseable timestamp in ordered_at: 'xx'"
    assert lines[bad["_line_number"] - 1] == bad["_raw_line"] and bad["_line_number"] == 43
    assert {r["_reason"] for r in quarantine} >= {"missing required column customer_id"}
    for r in bronze:  # row i was written on line i + 1; the duplicate of row 1 on line 42
        if r["_source_file"].endswith("web_orders.csv"):
            assert r["_line_number"] in (
                int(r["order_id"][1:]) + 1,
                42 if r["order_id"] == "W00000001" else -1,
            )
    assert len(silver) == len({(r["order_id"], r["line_number"]) for r in silver}) == 45
    drifted = next(r for r in silver if r["order_id"] == "W00000041")
    assert (drifted["currency"], drifted["category"], drifted["line_amount"] > 0) == ("EUR", None, True)
    warnings = "\n".join(m["warnings"])
    for expected in (
        "0-byte file web_orders/2026-06-03/empty.csv",
        "ignored web_orders/2026-06-03/readme.md",
        "schema drift in web_orders/2026-06-03/drift.csv: missing columns ['category'], "
        "extra columns ['coupon']",
        "missing required columns ['customer_id']",
    ):
        assert expected in warnings
    assert manifest(s, "web_orders", D2) == m and m["rows_per_second"] > 0
    assert leftovers(s.lakehouse_dir) == []


def _silver_content(settings) -> list[tuple]:
    rows = read_table(settings.silver_dir / "web_order_lines")
    return sorted(
        tuple(v for k, v in sorted(r.items()) if k not in ("_run_id", "_ingested_at")) for r in rows
    )


def test_rerun_is_idempotent_and_out_of_order_dates_match_one_pass(
    spark, isolated_settings, tmp_path, monkeypatch
):
    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", D1, valid_rows("web_orders", 12) + ["broken"])
    write_drop(s.landing_dir, "web_orders", D2, valid_rows("web_orders", 6, start=4, order_status="returned"))
    first = ingest_source("web_orders", D2, run_id="a", spark=spark)
    ingest_source("web_orders", D1, run_id="b", spark=spark)
    tables = [s.bronze_dir / "web_orders", s.quarantine_dir / "web_orders", s.silver_dir / "web_order_lines"]
    before = {t: partition_checksums(t) for t in tables}
    manifest_d1 = manifest(s, "web_orders", D1)

    again = ingest_source("web_orders", D2, run_id="c", spark=spark)

    for t in tables:  # the other date's partitions are untouched, byte for byte
        assert partition_checksums(t)[f"ingest_date={D1}"] == before[t][f"ingest_date={D1}"]
    assert manifest(s, "web_orders", D1) == manifest_d1
    assert {k: again[k] for k in ("rows_read", "rows_bronze", "rows_silver")} == {
        k: first[k] for k in ("rows_read", "rows_bronze", "rows_silver")
    }
    silver = read_table(s.silver_dir / "web_order_lines")
    assert len(silver) == 18 == len({(r["ingest_date"], r["order_id"], r["line_number"]) for r in silver})
    out_of_order = _silver_content(s)

    monkeypatch.setenv("CDP_LAKEHOUSE_DIR", str(tmp_path / "lake2"))
    in_order = reload_settings()
    manifests = ingest_dates("web_orders", [D1, D2], run_id="d", spark=spark)
    assert [m["dates_in_pass"] for m in manifests] == [2, 2]
    assert _silver_content(in_order) == out_of_order


def test_missing_day_and_zero_byte_drop_never_raise(spark, isolated_settings):
    s = isolated_settings
    (drop_dir(s.landing_dir, "email_engagement", D2) / "email_engagement.csv").write_bytes(b"")
    missing, zero = ingest_dates("email_engagement", [D1, D2], spark=spark)
    assert (missing["status"], missing["rows_read"]) == ("no_drop", 0)
    assert "no drop for this date" in missing["warnings"][0]
    assert not (s.bronze_dir / "email_engagement" / f"ingest_date={D1}").exists()
    assert (zero["status"], zero["rows_read"], zero["silver_published"]) == ("ok", 0, True)
    assert any(w.startswith("empty_file: 0-byte file") for w in zero["warnings"])
    for table_dir in (s.bronze_dir / "email_engagement", s.silver_dir / "email_events"):
        assert (table_dir / f"ingest_date={D2}").is_dir() and read_table(table_dir) == []
    assert manifest(s, "email_engagement", D1)["status"] == "no_drop"


def test_quarantine_threshold_keeps_evidence_and_withholds_silver(spark, isolated_settings):
    s = isolated_settings
    write_drop(
        s.landing_dir, "pos_orders", D2, valid_rows("pos_orders", 3) + ["x,y", "P1,1,S01,,,2026-06-03"]
    )
    with pytest.raises(QuarantineThresholdExceeded) as caught:
        ingest_source("pos_orders", D2, spark=spark)
    message = str(caught.value)
    for part in ("pos_orders", D2, "40.0%", "pos_orders/2026-06-03/pos_orders.csv (2 of 5 rows)", "10.0%"):
        assert part in message
    m = manifest(s, "pos_orders", D2)
    assert (m["status"], m["silver_published"], m["rows_quarantined"]) == (
        "quarantine_threshold_exceeded",
        False,
        2,
    )
    assert len(read_table(s.bronze_dir / "pos_orders")) == 3
    assert len(read_table(s.quarantine_dir / "pos_orders")) == 2
    assert not (s.silver_dir / "pos_order_lines" / f"ingest_date={D2}").exists()


def test_json_lines_with_bad_bytes_malformed_lines_and_renamed_keys(spark, isolated_settings):
    s = isolated_settings
    path = write_drop(s.landing_dir, "web_events", D2, valid_rows("web_events", 38) + ["{not json"])
    with path.open("ab") as handle:
        handle.write(b'{"event_id": "E\xff\xfe", "occurred_at": "2026-06-03T09:00:00Z"}\n')
    renamed = [
        {**{("eventType" if k == "event_type" else k): v for k, v in r.items()}, "referrer": "x"}
        for r in valid_rows("web_events", 2, start=100)
    ]
    write_drop(s.landing_dir, "web_events", D2, renamed, name="late.jsonl")
    m = ingest_source("web_events", D2, spark=spark)
    assert (m["rows_read"], m["rows_bronze"], m["rows_quarantined"]) == (42, 38, 4)
    assert m["quarantine_reasons"] == {
        "malformed JSON": 1,
        "undecodable bytes": 1,
        "required field event_type is empty": 2,
    }
    assert any(
        "schema drift in web_events/2026-06-03/late.jsonl: missing columns ['event_type'], "
        "extra columns ['eventType', 'referrer']" in w
        for w in m["warnings"]
    )
    assert len(read_table(s.silver_dir / "web_events")) == 38


def test_suppressed_people_are_dropped_from_silver_and_counted(spark, isolated_settings):
    s = isolated_settings
    rows = valid_rows("crm_customers", 5)
    write_drop(s.landing_dir, "crm_customers", D2, rows)
    s.suppression_path.parent.mkdir(parents=True)
    with s.suppression_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email_hash", "phone_hash", "customer_id"])
        writer.writerow([salted_sha256_py(normalize_email_py(rows[1]["email"]), s.hash_salt), "", ""])
        writer.writerow(["", "", rows[2]["customer_id"]])
    m = ingest_source("crm_customers", D2, spark=spark)
    silver = read_table(s.silver_dir / "crm_customers")
    assert sorted(r["customer_id"] for r in silver) == ["C0000001", "C0000004", "C0000005"]
    assert (m["rows_bronze"], m["rows_silver"], m["rows_suppressed"], m["rows_duplicates"]) == (5, 3, 2, 0)


def test_invoice_line_example_onboards_without_code_changes(spark, isolated_settings):
    s = isolated_settings
    drop = drop_dir(s.landing_dir, "invoice_lines", "2010-12-01")
    shutil.copy(EXAMPLES / "invoice_lines.csv", drop)
    # A line with no quantity is malformed: quarantined with its reason, the rest goes on.
    with open(drop / "invoice_lines.csv", "a") as f:
        f.write("536421,22557,PLASTERS IN TIN VINTAGE PAISLEY,0,12/1/2010 12:04,1.65,16029,United Kingdom\n")
    m = ingest_source("invoice_lines", "2010-12-01", spark=spark)
    # 17 lines: one quarantined, one exact re-delivery (536366 / 22633) collapses.
    assert (m["rows_read"], m["rows_bronze"], m["rows_quarantined"], m["rows_silver"]) == (17, 16, 1, 15)
    assert m["quarantine_reasons"] == {"quantity must be != 0": 1}
    silver = {(r["invoice_no"], r["stock_code"]): r for r in read_table(s.silver_dir / "invoice_lines")}
    cancelled = sorted(k[0] for k, r in silver.items() if r["is_cancelled"])
    assert cancelled == ["C536379", "C536383"] and all(
        silver[(c, sc)]["is_return"] for c, sc in silver if c in cancelled
    )
    first = silver[("536365", "84406B")]
    assert (first["customer_id"], first["country_code"], first["line_amount"]) == ("17850", "GB", 22.0)
    assert str(first["invoiced_at"]) == "2010-12-01 08:26:00" and first["line_number"] == 4
    assert silver[("536384", "22189")]["country_code"] == "IE"
    # Real-export idioms are kept and classified: a guest line, a zero price, non-merchandise.
    assert silver[("536373", "21730")]["customer_id"] is None
    assert silver[("536414", "22139")]["unit_price"] == 0.0
    assert [k for k, r in silver.items() if not r["is_merchandise"]] == [("536370", "POST"), ("C536379", "D")]
