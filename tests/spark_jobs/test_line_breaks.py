"""Line breaks inside CSV fields: one delivered record is one row, and counts reconcile per file."""

from __future__ import annotations

import pytest

from spark_jobs import file_scan
from spark_jobs.file_scan import scan_file
from spark_jobs.ingest import ingest_source
from spark_jobs.transforms.records import MAX_RECORD_LINES
from tests.spark_jobs.lake import read_table
from tests.spark_jobs.landing_files import COLUMNS, drop_dir, row

DAY = "2026-06-03"
HEADER = ",".join(COLUMNS["crm_customers"])
#: first_name as delivered (quoted or not) -> the value that must reach bronze and silver
NAMES = {
    '"Ann\nMarie"': "Ann\nMarie",
    '"Ann\r\nMarie"': "Ann\r\nMarie",
    '"Ann\rMarie"': "Ann\rMarie",
    "Ann\rMarie": "Ann\rMarie",  # unquoted: a lone \r is not a line end
}


def _line(i: int, first_name: str = "Ann") -> str:
    values = row("crm_customers", i)
    return ",".join(
        first_name if c == "first_name" else str(values[c]).strip() for c in COLUMNS["crm_customers"]
    )


def _write(folder, name: str, records: list[str], line_end: str) -> None:
    (folder / name).write_bytes((line_end.join([HEADER, *records]) + line_end).encode("utf-8"))


@pytest.fixture()
def drop(isolated_settings):
    folder = drop_dir(isolated_settings.landing_dir, "crm_customers", DAY)
    for name, line_end, base in (("lf.csv", "\n", 0), ("crlf.csv", "\r\n", 100)):
        records = [_line(base + 1)]
        records += [_line(base + 2 + k, raw) for k, raw in enumerate(NAMES)]
        records += [f'C{base + 99:07d},"Bad\nRecord"', _line(base + 7)]  # two columns: malformed
        _write(folder, name, records, line_end)
    # No open quote anywhere: read line by line, yet a lone \r stays inside its field.
    _write(folder, "lone_cr.csv", [_line(201, "Ann\rMarie"), _line(202, '"Ann\rMarie"'), _line(203)], "\r\n")
    # A stray quote must not swallow the rest of the file into one record.
    stray = [_line(301, '"Ann')] + [_line(302 + k) for k in range(MAX_RECORD_LINES + 5)]
    _write(folder, "stray_quote.csv", stray, "\n")
    return isolated_settings


def test_quoted_and_lone_line_breaks_parse_as_one_record(spark, drop):
    s = drop
    m = ingest_source("crm_customers", DAY, spark=spark)

    files = {f["file"].split("/")[-1]: f for f in m["files"]}
    counts = {k: (f["rows_read"], f["rows_bronze"], f["rows_quarantined"]) for k, f in files.items()}
    assert counts == {
        "crlf.csv": (7, 6, 1),
        "lf.csv": (7, 6, 1),
        "lone_cr.csv": (3, 3, 0),
        "stray_quote.csv": (MAX_RECORD_LINES + 6, MAX_RECORD_LINES + 5, 1),
    }
    bronze = {r["customer_id"]: r for r in read_table(s.bronze_dir / "crm_customers")}
    silver = {r["customer_id"]: r for r in read_table(s.silver_dir / "crm_customers")}
    for base in (0, 100):
        for k, value in enumerate(NAMES.values()):
            customer = f"C{base + 2 + k:07d}"
            assert (bronze[customer]["first_name"], silver[customer]["first_name"]) == (value, value)
        # physical line numbers: header 1, record 1 on line 2, the two-line records on 3-4 and 5-6
        lines = {f"C{base + i:07d}": n for i, n in ((1, 2), (2, 3), (3, 5), (4, 7), (5, 8), (7, 11))}
        assert {c: bronze[c]["_line_number"] for c in lines} == lines
        assert silver[f"C{base + 7:07d}"]["email"] == f"ann{base + 7}@example.com"
    assert [bronze[f"C{i:07d}"]["first_name"] for i in (201, 202)] == ["Ann\rMarie", "Ann\rMarie"]
    assert bronze["C0000203"]["country"] == "UK"  # the "\r\n" line end is not part of the last field

    quarantine = {r["_source_file"].split("/")[-1]: r for r in read_table(s.quarantine_dir / "crm_customers")}
    for name in ("lf.csv", "crlf.csv"):
        bad = quarantine[name]
        assert bad["_raw_line"].endswith(',"Bad\nRecord"') and bad["_line_number"] == 9
        assert bad["_reason"] == f"column count 2 != {len(COLUMNS['crm_customers'])}"
    assert (quarantine["stray_quote.csv"]["_line_number"], quarantine["stray_quote.csv"]["_reason"]) == (
        2,
        "unbalanced quotes",
    )
    assert m["rows_read"] == m["rows_bronze"] + m["rows_quarantined"] and m["status"] == "ok"


def test_scan_finds_lone_cr_and_open_quotes_across_chunk_edges(tmp_path, monkeypatch):
    monkeypatch.setattr(file_scan, "CHUNK_BYTES", 4)
    cases = {
        b"a,b\r\nc,d\r\n": (None, False),  # CRLF, one "\r\n" split across two chunks
        b"a,b\nc\rd,e\n": ("\n", False),  # lone \r inside a line
        b'a,"b""c"\nd,e\n': (None, False),  # doubled quotes keep the parity even
        b'ab,"c\nd",e\n': (None, True),
        b'ab,"c\r\nd",e\r\n': ("\n", True),  # CRLF lines are read on \n to keep the field's \r\n
        b'a,b\rc,"d\re"\r': ("\r", True),  # old Mac line ends
    }
    for i, (data, expected) in enumerate(cases.items()):
        path = tmp_path / f"{i}.csv"
        path.write_bytes(data)
        scan = scan_file(path)
        assert (scan.line_sep, scan.open_quotes) == expected, data
    assert scan_file(tmp_path / "3.csv", quote=None).open_quotes is False
