"""The person's values leave free text and stray files: logs, run summaries, GX results, Data Docs, Parquet."""

from __future__ import annotations

import json
import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_platform.identifiers import salted_sha256, sha256
from privacy.matching import ValueMatcher
from privacy.scrub import ERASED, TextScrubber
from privacy.targets import ErasureTargets

SALT = "cdp-demo-salt-change-me"  # the default, as in `isolated_settings`
EMAIL, PHONE, CRM, UNIFIED = "ann.knight@example.com", "+447700900123", "C0000042", "U" + "ab12" * 8


def _targets() -> ErasureTargets:
    return ErasureTargets(
        "erasure-test",
        unified_customer_ids=[UNIFIED],
        records=[["crm_customers", CRM]],
        keys={
            "customer_id": [CRM],
            "email_hash": [salted_sha256(EMAIL, SALT)],
            "phone_hash": [salted_sha256(PHONE, SALT)],
            "email_sha256": [sha256(EMAIL)],
        },
    )


@pytest.fixture()
def scrubber() -> TextScrubber:
    t = _targets()
    matcher = ValueMatcher(t.all_keys(), t.salted_hashes("email"), t.salted_hashes("phone"), SALT)
    return TextScrubber(matcher)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"email": " ANN.Knight@Example.com "}', f'{{"email": " {ERASED} "}}'),
        ("e.g. 'ann.knight@example.com', 'bo@example.org'", f"e.g. '{ERASED}', 'bo@example.org'"),
        ("<td>07700 900123</td><td>+44 7700 900123</td>", f"<td>{ERASED}</td><td>{ERASED}</td>"),
        ("digits 7700900123 and (0)7700-900-123", f"digits {ERASED} and {ERASED}"),
        (f"customer {CRM}, not C00000421; {UNIFIED.lower()}", f"customer {ERASED}, not C00000421; {ERASED}"),
        (f"key={sha256(EMAIL)}", f"key={ERASED}"),
    ],
)
def test_values_are_replaced_in_any_spelling(scrubber, text, expected):
    assert scrubber.scrub(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-30T12:45:14.665908+00:00 run manual__2026-06-30",
        "silhouette 0.7700900123, rows 7700900124, phone 07700 900124",
        "bo@example.org wrote to ann.knight@example.co",
        "order W07700900123 and hash " + "7" * 64,
    ],
)
def test_everything_else_is_left_as_it_was(scrubber, text):
    assert scrubber.scrub(text) == (text, 0)


def _write(path, content, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    os.chmod(path, mode)
    return path


def test_every_text_and_stray_parquet_file_under_the_data_folder_is_purged(isolated_settings):
    from privacy.files import purge_files

    data = isolated_settings.data_dir
    line = f"observed 1 of 9, e.g. '{EMAIL}', phone 07700 900123, customer {UNIFIED}\n"
    files = {
        "runs/2026-06-30.json": json.dumps({"warnings": [line.strip()]}),
        "runs/failures.jsonl": json.dumps({"reason": line.strip()}) + "\n",
        "dq/results/silver/2026-06-30/r.json": line,
        "dq/data_docs/validations/silver/x.html": f"<td>{line}</td>",
        "airflow/logs/dag_id=x/run_id=y/task_id=z/attempt=1.log": line,
        "mlflow/artifacts/abc/artifacts/report/candidates.csv": f"id,score\n{UNIFIED},0.5\n",
        "reports/campaigns/2026-06-30.html": f"<p>{EMAIL.upper()}</p>",
    }
    for name, content in files.items():
        _write(data / name, content, 0o640)
    untouched = {
        "landing/_truth/persons.csv": f"person_id,email\nP1,{EMAIL}\n",  # the generator's ground truth
        "bench/1000/landing/crm_customers/2026-06-01/crm.csv": f"{EMAIL}\n",  # another platform instance
        "mlflow/mlflow.db": b"SQLite format 3\x00" + EMAIL.encode(),  # binary: not text
    }
    for name, content in untouched.items():
        _write(data / name, content)
    stray = pa.table({"unified_customer_id": [UNIFIED, "U2"], "email": [EMAIL.upper(), "bo@example.org"]})
    for name in ("lakehouse/silver/retired_source/ingest_date=2026-06-01/part-0.parquet",
                 "lakehouse/silver/crm_customers/_trash/erasure.x/ingest_date=2026-06-01/part-0.parquet"):  # fmt: skip
        (data / name).parent.mkdir(parents=True)
        pq.write_table(stray, data / name)

    counts = purge_files(_targets())["files"]

    assert counts == {
        **{name: 3 for name in files if not name.endswith((".csv", ".html"))},
        "dq/data_docs/validations/silver/x.html": 3,
        "mlflow/artifacts/abc/artifacts/report/candidates.csv": 1,
        "reports/campaigns/2026-06-30.html": 1,
        "lakehouse/silver/retired_source/ingest_date=2026-06-01/part-0.parquet": 1,
        "lakehouse/silver/crm_customers/_trash/erasure.x/ingest_date=2026-06-01/part-0.parquet": 1,
    }
    for name in files:
        text = (data / name).read_text()
        assert EMAIL not in text.lower() and UNIFIED not in text and "900123" not in text, name
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o640, "permissions kept"
    assert json.loads((data / "runs/2026-06-30.json").read_text())["warnings"][0].startswith(
        "observed 1 of 9"
    )
    for name, content in untouched.items():
        assert (data / name).read_bytes() == (content if isinstance(content, bytes) else content.encode())
    kept = pq.read_table(data / "lakehouse/silver/retired_source/ingest_date=2026-06-01/part-0.parquet")
    assert kept.column("unified_customer_id").to_pylist() == ["U2"]
    assert not [p for p in data.rglob(".*erasure*")], "no temp file left"
    assert purge_files(_targets()) == {"files": {}}, "a second sweep finds nothing"


def test_the_marts_gate_state_is_dropped_so_no_row_hash_of_the_person_survives(isolated_settings):
    """The gate keeps 64-bit hashes of validated rows (customer ids among the hashed columns)."""
    from privacy.files import purge_files

    state = isolated_settings.marts_gate_state_dir
    state.mkdir(parents=True)
    (state / "customer_rfm.hashes").write_bytes(bytes(range(256)))
    (state / "customer_rfm.json").write_text('{"rows": 2}')

    counts = purge_files(_targets())["files"]

    assert counts == {"dq/marts_state/customer_rfm.hashes": 1, "dq/marts_state/customer_rfm.json": 1}
    assert not list(state.iterdir())
