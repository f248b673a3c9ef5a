"""Erasure end to end: generated drops -> Spark -> dbt -> segments, erase one person, next nightly.

One module-scoped scenario (Spark ingestion and two dbt runs are the cost):
1. generate 3 days for 60 customers; keep day 3's drops aside (the "next nightly" delivery);
2. ingest days 1-2, `dbt run`, write segment rows with the real write-back code;
3. erase a person chosen from the ground truth who has records in several sources and in
   day 3's drops, by a messy spelling of their email plus their phone;
4. erase again (idempotency);
5. put day 3 back, ingest it, `dbt run` and score again: the person must stay gone from
   silver, the warehouse and segments (suppression), and dbt's incremental models still run
   incrementally on the rebuilt warehouse file; then the date's suppression sweep removes
   their raw rows from the new landing drop, bronze and quarantine too.
The person is looked for by value (ids, unified ids, raw email and phone, hashes) in every
file and every column of every table, not in a hand-made list of places, and in the bytes
of the warehouse file (deleted rows stay there until it is rebuilt). The byte search over
every file of a whole platform run is the end-to-end test's (`tests/test_end_to_end.py`).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

START, DAYS = date(2026, 6, 1), 3
DATES = [date(2026, 6, d).isoformat() for d in range(1, DAYS + 1)]
HISTORY, NEXT_NIGHT = DATES[:-1], DATES[-1]


@dataclass
class Person:
    person_id: str
    email: str
    phone: str  # E.164
    records: set[str]  # source record ids from the ground truth
    needles: set[str] = field(default_factory=set)  # lower-cased values that must not appear
    unified_ids: set[str] = field(default_factory=set)

    @property
    def phone_digits(self) -> str:
        return self.phone[3:]  # national significant number: matches any raw phone spelling


def _found(values, person: Person) -> bool:
    """True when any value (a cell, a line) carries one of the person's identifiers."""
    for value in values:
        text = str(value).lower()
        if any(n in text for n in person.needles):
            return True
        fields = re.split(r'[,"\t;{}]', text)
        if any(re.sub(r"\D", "", f).endswith(person.phone_digits) for f in fields if f.strip()):
            return True
    return False


def find_in_landing(settings, person: Person) -> set[str]:
    """Landing sources whose files mention the person (the generator's truth excluded)."""
    hits = set()
    for path in settings.landing_dir.rglob("*.*"):
        if "_truth" not in path.parts and _found(path.read_text().splitlines(), person):
            hits.add(path.relative_to(settings.landing_dir).parts[0])
    return hits


def find_in_layer(layer_dir: Path, person: Person) -> set[str]:
    """Tables of a lakehouse layer with a row mentioning the person (any column)."""
    import pyarrow.parquet as pq

    hits = set()
    for path in layer_dir.glob("*/ingest_date=*/*.parquet"):
        for row in pq.read_table(path).to_pylist():
            if _found(row.values(), person):
                hits.add(path.parent.parent.name)
                break
    return hits


def _rows(con, catalog: str, schema: str, table: str):
    """A table's rows; the restricted contacts with their encrypted values decrypted."""
    from customer_platform.restricted import CONTACTS, decrypt_contact_columns

    frame = con.execute(f'select * from "{catalog}"."{schema}"."{table}"').df()
    if f"{catalog}.{schema}.{table}" == CONTACTS:
        frame = decrypt_contact_columns(frame)
    return frame.itertuples(index=False)


def find_in_warehouse(person: Person, skip_schemas=("audit",)) -> set[str]:
    """Every table of every schema with a row mentioning the person."""
    from customer_platform.restricted import attach_restricted
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        attach_restricted(con, read_only=True)  # staging, intermediate and pii (contacts decrypted)
        tables = con.execute(
            "select table_catalog, table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        return {
            f"{schema}.{table}"
            for catalog, schema, table in tables
            if schema not in skip_schemas
            and any(_found(row, person) for row in _rows(con, catalog, schema, table))
        }
    finally:
        con.close()


def write_segment_rows(logical_date: str) -> None:
    """Assign every customer of the feature mart to a segment with the real write-back code."""
    import datetime as dt

    from customer_platform.warehouse import connect_readonly
    from models.segmentation.scoring import write_segments

    con = connect_readonly()
    try:
        frame = con.execute(
            "select unified_customer_id, cast(hash(unified_customer_id) % 2 as integer) as segment_id, "
            "0.5 as distance from marts.customer_features"
        ).df()
    finally:
        con.close()
    segments = [{"segment_id": i, "name": f"segment {i}", "description": "test"} for i in (0, 1)]
    write_segments(frame, segments, logical_date=date.fromisoformat(logical_date), model_name="customer_segmentation",
                   model_version=1, mlflow_run_id="test-run", assigned_at=dt.datetime(2026, 7, 1))  # fmt: skip


def choose_person(settings, aside: Path, accept=lambda person: True) -> Person:
    """A person with records in 3+ sources, CRM and phone, whom the held-back drop names by a known id.

    The held-back drop can also hold a cookie the platform has never seen (anonymous
    browsing on a new device): nothing links it to anyone, so it is not looked for later.
    """
    from customer_platform.identifiers import salted_sha256, sha256

    records = defaultdict(dict)
    with (settings.truth_dir / "identities.csv").open() as handle:
        for row in csv.DictReader(handle):
            records[row["person_id"]][row["source_record_id"]] = row["source"]
    history = " ".join(p.read_text() for p in settings.landing_dir.rglob("*.*") if "_truth" not in p.parts)
    later = " ".join(p.read_text() for p in aside.rglob("*.*")).lower()
    seen = history.lower()
    with (settings.truth_dir / "persons.csv").open() as handle:
        persons = list(csv.DictReader(handle))
    for p in persons:
        known = {i: s for i, s in records[p["person_id"]].items() if i in history}
        # An address the history never showed (a second email first seen in the held-back drop)
        # is, like a new cookie, nothing the platform can know is theirs.
        emails = {e for e in (p["email"], p["second_email"]) if e and e.lower() in seen}
        if not (p["crm_customer_id"] and p["phone"] and len(set(known.values())) >= 3):
            continue
        if any(v.lower() in later for v in [*known, *emails]):
            person = Person(p["person_id"], p["email"], p["phone"], set(known))
            hashes = {salted_sha256(v, settings.hash_salt) for v in [*emails, p["phone"]]}
            hashes |= {sha256(e) for e in emails}
            person.needles = {v.lower() for v in [*known, *emails, p["phone"], p["loyalty_id"], *hashes] if v}
            if accept(person):
                return person
    raise AssertionError("the generated data has no person with records in 3 sources and in the last drop")


@dataclass
class Scenario:
    person: Person
    before: dict[str, set[str]]
    after: dict[str, set[str]]
    after_nightly: dict[str, set[str]]
    swept: dict[str, dict[str, int]]
    after_sweep: dict[str, set[str]]
    first: dict
    second: dict
    audit_rows: list[dict]
    next_night_suppressed: int
    warehouse_bytes_before: set[str]
    warehouse_bytes_after: set[str]
    incremental_models: dict[str, str]  # base delivery model -> compiled code of the run after erasure


def _everywhere(settings, person: Person) -> dict[str, set[str]]:
    return {
        "landing": find_in_landing(settings, person),
        "bronze": find_in_layer(settings.bronze_dir, person),
        "quarantine": find_in_layer(settings.quarantine_dir, person),
        "silver": find_in_layer(settings.silver_dir, person),
        "warehouse": find_in_warehouse(person),
    }


def needles_in_bytes(path: Path, person: Person) -> set[str]:
    """The person's values found in a file's raw bytes (case-insensitive), as `grep -a -i` would."""
    data = path.read_bytes().lower()
    return {n for n in person.needles if n.encode() in data}


def incremental_runs(settings) -> dict[str, str]:
    """Compiled code of the incremental delivery models in dbt's last run (`run_results.json`)."""
    from customer_platform.warehouse import dbt_target_dir

    results = json.loads((dbt_target_dir(settings) / "run_results.json").read_text())["results"]
    return {
        r["unique_id"]: r.get("compiled_code") or ""
        for r in results
        if r["unique_id"].split(".")[-1].startswith("base_")
    }


def _unified_ids(person: Person) -> set[str]:
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        rows = con.execute(
            "select distinct unified_customer_id from marts.customer_identity_map where source_record_id in "
            "(select unnest(?))",
            [sorted(person.records)],
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory) -> Scenario:
    from customer_platform.config import reload_settings
    from customer_platform.warehouse import connect_readonly, run_dbt
    from datagen.generator import SOURCES, generate
    from privacy.erase import erase_person
    from privacy.purge import sweep_suppressed
    from privacy.request import ErasureRequest
    from spark_jobs.ingest import ingest_dates

    root = tmp_path_factory.mktemp("erasure")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(root / "data"))
        patch.setenv("CDP_MAX_QUARANTINE_RATE", "1.0")  # tiny drops: one bad line is a large share
        for name in ("CDP_LANDING_DIR", "CDP_LAKEHOUSE_DIR", "CDP_WAREHOUSE_PATH", "DBT_PROFILES_DIR"):
            patch.delenv(name, raising=False)
        settings = reload_settings()
        generate(settings.landing_dir, 60, START, date.fromisoformat(NEXT_NIGHT), seed=7)
        aside = root / "aside"
        for drop in list(settings.landing_dir.glob(f"*/{NEXT_NIGHT}")):
            (aside / drop.parent.name).mkdir(parents=True)
            shutil.move(drop, aside / drop.parent.name / NEXT_NIGHT)
        for source in SOURCES:
            ingest_dates(source, HISTORY, run_id="history", spark=spark)
        run_dbt(["run"], HISTORY[-1])
        write_segment_rows(HISTORY[-1])

        # One the platform resolved into one customer: a cookie it never linked to the person
        # cannot be recognised as theirs (README, "Erasing a person").
        person = choose_person(settings, aside, accept=lambda candidate: len(_unified_ids(candidate)) == 1)
        person.unified_ids = _unified_ids(person)
        person.needles |= {u.lower() for u in person.unified_ids}
        before = _everywhere(settings, person)
        bytes_before = needles_in_bytes(settings.warehouse_path, person)

        messy_email = f"  {person.email.upper()} "
        request = ErasureRequest.from_conf({"email": [messy_email], "phone": person.phone})
        first = erase_person(request)
        after = _everywhere(settings, person)
        bytes_after = needles_in_bytes(settings.warehouse_path, person)
        second = erase_person(request)

        for drop in list(aside.glob(f"*/{NEXT_NIGHT}")):
            shutil.move(drop, settings.landing_dir / drop.parent.name / NEXT_NIGHT)
        manifests = [
            ingest_dates(source, [NEXT_NIGHT], run_id="nightly", spark=spark)[0] for source in SOURCES
        ]
        run_dbt(["run"], NEXT_NIGHT)
        incremental = incremental_runs(settings)
        write_segment_rows(NEXT_NIGHT)
        after_nightly = _everywhere(settings, person)
        swept = sweep_suppressed(NEXT_NIGHT)
        after_sweep = _everywhere(settings, person)

        con = connect_readonly()
        try:
            audit = con.execute("select * from audit.erasure_requests order by requested_at").df()
        finally:
            con.close()
        yield Scenario(
            person, before, after, after_nightly, swept, after_sweep, first, second, audit.to_dict("records"),
            sum(int(m.get("rows_suppressed", 0)) for m in manifests), bytes_before, bytes_after, incremental,
        )  # fmt: skip
    reload_settings()


def test_person_was_everywhere_before_erasure(scenario):
    before = scenario.before
    assert len(before["landing"]) >= 3 and len(before["bronze"]) >= 3 and len(before["silver"]) >= 3
    assert {"marts.customer_identity_map", "pii.customer_contacts", "marts.segment_history"} <= before[
        "warehouse"
    ]
    assert len(scenario.person.unified_ids) == 1


def test_erasure_leaves_no_row_in_any_layer(scenario):
    assert scenario.after == {layer: set() for layer in scenario.after}
    removed = scenario.first
    assert removed["status"] == "erased" and removed["unified_customers"] == 1
    for layer in ("landing", "bronze", "silver", "warehouse", "segments"):
        assert removed[f"{layer}_removed"] > 0, layer
    assert removed["removed_by_table"]["segments"]["marts.segment_history"] >= 1


def test_erasing_again_removes_nothing_and_says_so(scenario):
    second = scenario.second
    assert second["status"] == "already_erased" and second["suppression_entries_added"] == 0
    assert all(second[f"{layer}_removed"] == 0 for layer in ("landing", "bronze", "quarantine", "silver"))
    assert second["warehouse_removed"] == 0 and second["segments_removed"] == 0
    assert [r["status"] for r in scenario.audit_rows] == ["erased", "already_erased"]


def test_audit_and_suppression_hold_no_raw_contact_fields(
    scenario,
):
    from customer_platform.config import get_settings

    settings = get_settings()
    person = scenario.person
    raw = {person.email.lower(), person.phone, person.phone_digits}
    audit_text = json.dumps(scenario.audit_rows, default=str) + settings.erasure_audit_path.read_text()
    suppression = settings.suppression_keys_path.read_text()
    assert not any(value in audit_text.lower() or value in suppression.lower() for value in raw)
    # Keyed hashes only: not the warehouse's salted hashes, the vendors' email key nor any id.
    assert not any(needle in suppression.lower() for needle in person.needles)
    lines = suppression.splitlines()
    assert len(lines) == len(set(lines)), "no duplicate suppression lines"
    row = scenario.audit_rows[0]
    assert (
        row["request_id"].startswith("erasure-") and row["silver_removed"] == scenario.first["silver_removed"]
    )


def test_the_warehouse_file_keeps_no_byte_of_the_person(scenario):
    assert scenario.warehouse_bytes_before, "the byte search sees the person before the erasure"
    assert scenario.warehouse_bytes_after == set(), "deleted rows are rebuilt away"
    assert scenario.first["warehouse_compacted"] is True and scenario.second["warehouse_compacted"] is True


def test_dbt_runs_incrementally_on_the_rebuilt_warehouse(scenario):
    models = scenario.incremental_models
    assert models, "the delivery models ran after the erasure"
    filters = {
        model: re.search(r"from source\s+where (.*)", code).group(1).strip() for model, code in models.items()
    }
    # The incremental branch loads only new or re-ingested dates (`false`: none); a full
    # build would load every date up to the logical date (`cast(ingest_date as date) <= ...`).
    assert all(
        f == "false" or f.startswith("cast(ingest_date as date) in (date ") for f in filters.values()
    ), filters
    assert any(f"date '{NEXT_NIGHT}'" in f for f in filters.values()), filters


def test_next_nightly_run_does_not_bring_the_person_back(scenario):
    assert scenario.next_night_suppressed > 0, (
        "the held-back drop carried the person and ingestion dropped them"
    )
    after = scenario.after_nightly
    assert after["silver"] == set()
    assert after["warehouse"] == set()


def test_the_suppression_sweep_removes_the_new_raw_rows_too(scenario):
    assert sum(scenario.swept["bronze"].values()) > 0, "the new drop's raw rows named the person"
    assert sum(scenario.swept["landing"].values()) >= sum(scenario.swept["bronze"].values())
    assert scenario.after_sweep == {layer: set() for layer in scenario.after_sweep}


@pytest.mark.parametrize(
    ("conf", "field_named"),
    [
        (None, "conf"),
        ({"email": ""}, "conf"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": ["+447700900123", "12"]}, "phone"),
        ({"crm_customer_id": "C 1"}, "crm_customer_id"),
        ({"emial": "ann@example.com"}, "emial"),
        ({"email": 5}, "email"),
        ({"email": "ann@example.com", "request_id": "has spaces"}, "request_id"),
    ],
)
def test_a_bad_request_names_the_field_and_never_echoes_the_value(conf, field_named):
    from privacy.request import ErasureRequest, ErasureRequestError

    with pytest.raises(ErasureRequestError, match=f"^{field_named}:") as error:
        ErasureRequest.from_conf(conf)
    assert "not-an-address" not in str(error.value)


def test_identifiers_are_normalized_and_the_request_id_is_stable():
    from privacy.request import ErasureRequest

    first = ErasureRequest.from_conf(
        {"email": [" Ann@Example.COM", "ann@example.com"], "phone": "07700 900123"}
    )
    again = ErasureRequest.from_conf({"email": "ann@example.com", "phone": ["+44 7700 900123"]})
    assert first.emails == ("ann@example.com",) and first.phones == ("+447700900123",)
    assert first.request_id == again.request_id and "ann" not in first.request_id


def test_raw_lines_match_by_normalized_hash_not_by_spelling():
    from customer_platform.identifiers import salted_sha256
    from privacy.matching import ValueMatcher

    matcher = ValueMatcher(
        {"C0000042"},
        {salted_sha256("ann@example.com", "s")},
        {salted_sha256("+447700900123", "s")},
        "s",
    )
    assert matcher.line("E1,S9, ANN@Example.com ,CMP1,open,2026-06-01T07:06:10")
    assert matcher.line("C0000099,Bo,Li,bo@x.org,(0)7700-900-123,1980-01-01,Leeds,uk")
    assert matcher.line('{"event_id":"WE1","cookie_id":"ck_1","user_id":"C0000042"}')
    assert not matcher.line("C0000099,Bo,Li,bo@x.org,07700 900124,1980-01-01,Leeds,uk")
    assert not matcher.line('{"event_id":"WE1","cookie_id":"ck_1","user_id":"C00000421"}')
