"""Ground truth agrees with the files it describes."""

from __future__ import annotations

import json
import re

from tests.datagen.landing import IDENTITY_COLUMN, csv_lines, csv_problem, files, read_truth

PERSON_COLUMNS = [
    "person_id",
    "archetype",
    "first_name",
    "last_name",
    "email",
    "second_email",
    "phone",
    "birth_date",
    "postcode",
    "city",
    "country_code",
    "crm_customer_id",
    "loyalty_id",
    "first_seen_date",
    "dropout_date",
    "alive_at_end",
]
COOKIE = re.compile(r'"cookie_id":"(ck_[0-9a-f]{16})"')


def _ids_in_files(root, source: str) -> tuple[set[str], set[str]]:
    """(ids on any line, ids on well-formed lines) of a source's identity column."""
    if source == "web_events":
        raw, clean = set(), set()
        for path in files(root, source):
            for line in path.read_text(encoding="utf-8").splitlines():
                raw.add(COOKIE.search(line).group(1))
                if line.endswith("}"):
                    clean.add(json.loads(line)["cookie_id"])
        return raw, clean
    col = ["crm_customers", "web_orders", "pos_orders", "email_engagement"].index(source)
    position = (0, 0, 0, 1)[col]
    raw, clean = set(), set()
    for path in files(root, source):
        for _, fields in csv_lines(path):
            raw.add(fields[position])
            if csv_problem(source, fields) is None:
                clean.add(fields[position])
    return raw, clean


def test_identities_and_files_agree_in_both_directions(messy_run):
    root, _ = messy_run
    truth = read_truth(root, "identities.csv")
    for source in IDENTITY_COLUMN:
        expected = {r["source_record_id"] for r in truth if r["source"] == source}
        raw, clean = _ids_in_files(root, source)
        assert expected, source
        assert clean <= expected, source  # every well-formed record is in the truth
        assert expected == raw, source  # and every truth id was really written


def test_identity_rows_are_unique_and_point_at_known_persons(default_run):
    root, report = default_run
    truth = read_truth(root, "identities.csv")
    persons = read_truth(root, "persons.csv")
    keys = [(r["source"], r["source_record_id"]) for r in truth]
    assert len(keys) == len(set(keys)) == report.identities
    person_ids = {p["person_id"] for p in persons}
    assert len(person_ids) == len(persons) == report.customers
    assert {r["person_id"] for r in truth} <= person_ids


def test_persons_file_has_the_contract_columns_and_links_crm_ids(default_run):
    root, _ = default_run
    persons = read_truth(root, "persons.csv")
    assert list(persons[0]) == PERSON_COLUMNS
    crm_owner = {
        r["source_record_id"]: r["person_id"]
        for r in read_truth(root, "identities.csv")
        if r["source"] == "crm_customers"
    }
    members = [p for p in persons if p["crm_customer_id"]]
    assert 0.75 < len(members) / len(persons) < 0.95
    assert all(crm_owner[p["crm_customer_id"]] == p["person_id"] for p in members)
    assert len(crm_owner) > len(members)  # some persons have a second CRM account
    assert {p["archetype"] for p in persons} == {
        "champion",
        "discount_hunter",
        "lapsing",
        "new_customer",
        "window_shopper",
    }


def test_planted_json_matches_the_report_and_the_planted_lines_file(messy_run):
    root, report = messy_run
    doc = json.loads((root / "_truth" / "planted.json").read_text())
    assert doc["counts"] == report.planted
    assert doc["rates"]["malformed_line"] == 0.05
    assert doc["rows"] == {s: dict(d) for s, d in report.rows.items()}
    logged = read_truth(root, "planted_lines.csv")
    malformed = [
        r for r in logged if r["kind"] not in ("non_positive_price", "exact_duplicate", "broken_json")
    ]
    assert len(malformed) == sum(v for k, v in report.planted.items() if k.startswith("malformed_line:"))
    assert sum(r["kind"] == "broken_json" for r in logged) == report.planted["broken_json:web_events"]
