"""Planted messiness: measured from the files, close to the configured rates, logged exactly."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from datagen import mess
from datagen.profiles import MessRates
from tests.datagen.conftest import HIGH_MESS
from tests.datagen.landing import (
    CONTRACT_COLUMNS,
    csv_lines,
    csv_problem,
    csv_rows,
    files,
    json_events,
    read_truth,
)

CSV_SOURCES = [s for s in CONTRACT_COLUMNS if s != "web_events"]


def _malformed_share(root) -> tuple[int, int]:
    bad = total = 0
    for source in CSV_SOURCES:
        for path in files(root, source):
            for _, fields in csv_lines(path):
                total += 1
                bad += csv_problem(source, fields) is not None
    return bad, total


def test_malformed_share_is_near_the_rate_and_default_stays_far_below_quarantine_limit(
    messy_run, default_run
):
    bad, total = _malformed_share(messy_run[0])
    assert abs(bad / total - HIGH_MESS.malformed_line) < 0.01
    bad, total = _malformed_share(default_run[0])
    assert bad / total < 0.02


def test_every_planted_line_is_where_the_log_says_and_nothing_else_is_malformed(messy_run):
    root, _ = messy_run
    logged = read_truth(root, "planted_lines.csv")
    by_place = {
        (r["file"], int(r["line_number"])): r
        for r in logged
        if r["kind"] not in ("non_positive_price", "exact_duplicate")
    }
    expected_problem = {
        "wrong_column_count": "column_count",
        "truncated": "column_count",
        "bad_timestamp": "timestamp",
        "non_numeric_quantity": "number",
        "non_numeric_household_size": "number",
    }
    for source in CSV_SOURCES:
        for path in files(root, source):
            rel = str(path.relative_to(root))
            for number, fields in csv_lines(path):
                problem = csv_problem(source, fields)
                entry = by_place.pop((rel, number), None)
                assert (entry is None) == (problem is None), (rel, number, fields)
                if entry:
                    assert expected_problem[entry["kind"]] == problem
                    assert fields[(1 if source == "email_engagement" else 0)] == entry["source_record_id"]
    broken = {k: v for k, v in by_place.items() if v["kind"] == "broken_json"}
    assert broken and len(broken) == len(by_place)
    for (rel, number), entry in broken.items():
        line = (root / rel).read_text(encoding="utf-8").splitlines()[number - 1]
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
        assert entry["source_record_id"] in line


def test_broken_json_share_is_near_the_rate(messy_run):
    events, broken = json_events(messy_run[0])
    assert abs(broken / (broken + len(events)) - HIGH_MESS.broken_json) < 0.015


def test_duplicates_and_bad_prices_are_where_the_log_says(messy_run):
    root, report = messy_run
    logged = read_truth(root, "planted_lines.csv")
    dups = [r for r in logged if r["kind"] == "exact_duplicate"]
    prices = [r for r in logged if r["kind"] == "non_positive_price"]
    assert dups and prices
    spoiled = {
        (r["file"], r["line_number"])
        for r in logged
        if r["kind"] not in ("non_positive_price", "exact_duplicate")
    }
    for r in dups:
        if (r["file"], r["line_number"]) in spoiled or (r["file"], str(int(r["line_number"]) - 1)) in spoiled:
            continue  # one of the pair was also written malformed
        lines = (root / r["file"]).read_text(encoding="utf-8").splitlines()
        assert lines[int(r["line_number"]) - 1] == lines[int(r["line_number"]) - 2]
    for r in prices:
        fields = (
            (root / r["file"]).read_text(encoding="utf-8").splitlines()[int(r["line_number"]) - 1].split(",")
        )
        column = CONTRACT_COLUMNS[r["source"]].index("unit_price")
        if len(fields) == len(CONTRACT_COLUMNS[r["source"]]):  # unless also malformed
            assert float(fields[column]) <= 0
    lines = sum(report.total_rows(s) for s in ("web_orders", "pos_orders"))
    assert abs(len(prices) / lines - HIGH_MESS.non_positive_price) < 0.01


def _messy(email: str) -> bool:
    return email != email.strip() or email != email.lower()


def test_email_mess_share_matches_rate_and_tally(messy_run):
    root, report = messy_run
    crm = [r["email"] for r in csv_rows(root, "crm_customers")]
    share = np.mean([_messy(e) for e in crm])
    assert abs(share - HIGH_MESS.email_messy) < 0.07
    pos = [r["email"] for r in csv_rows(root, "pos_orders") if r["email"]]
    assert abs(np.mean([_messy(e) for e in pos]) - HIGH_MESS.email_messy) < 0.05


def test_phone_formats_missing_values_and_country_spellings(default_run):
    root, _ = default_run
    rows = csv_rows(root, "crm_customers")
    phones = [r["phone"] for r in rows]
    present = [p for p in phones if p]
    rates = MessRates()
    assert abs(1 - len(present) / len(phones) - rates.missing_phone) < 0.05
    assert (
        abs(np.mean([not re.fullmatch(r"\+\d{11,12}", p) for p in present]) - rates.phone_nonstandard) < 0.1
    )
    assert any(re.fullmatch(r"\+44 7\d{3} \d{6}", p) for p in present)
    assert any(re.fullmatch(r"07\d{9}", p) for p in present)
    assert any(re.fullmatch(r"\(0\)7\d{3}-\d{3}-\d{3}", p) for p in present)
    assert any(re.fullmatch(r"447\d{9}", p) for p in present)
    assert any(p.startswith("+33") or p.startswith("0033") or p.startswith("0") and " " in p for p in present)
    countries = {r["country"] for r in rows}
    assert {"GB", "FR"} <= countries and len(countries - {"GB", "FR"}) >= 4
    assert countries <= {
        "GB",
        "UK",
        "United Kingdom",
        "gb",
        "uk",
        "Great Britain",
        "FR",
        "France",
        "fr",
        "FRANCE",
    }
    for column, rate in (("city", rates.missing_city), ("birth_date", rates.missing_birth_date)):
        assert abs(np.mean([r[column] == "" for r in rows]) - rate) < 0.06, column


@pytest.mark.parametrize("name", ["Oliver", "Lee", "O'Brien", "Hélène", "Ali", "Emma"])
def test_typo_is_exactly_one_edit(name):
    for u in np.linspace(0, 0.99, 7):
        for v in np.linspace(0, 0.99, 11):
            out = mess.typo(name, float(u), float(v))
            assert out != name
            assert _one_edit(name, out), (name, out)


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(
        long_[:i] + long_[i + 1 :] == short for i in range(len(long_))
    )


def test_returns_cancellations_and_currencies(default_run):
    root, _ = default_run
    web = csv_rows(root, "web_orders")
    statuses = {r["order_status"] for r in web}
    assert statuses == {"completed", "cancelled", "returned"}
    assert any(int(r["quantity"]) < 0 for r in csv_rows(root, "pos_orders"))
    currencies = [r["currency"] for r in web]
    assert currencies.count("GBP") > 0.6 * len(currencies) and "EUR" in currencies and "USD" in currencies


def test_some_subscribers_use_an_email_the_crm_does_not_know(default_run):
    root, _ = default_run
    crm = {r["email"].strip().lower() for r in csv_rows(root, "crm_customers")}
    subscribed = {r["email"].strip().lower() for r in csv_rows(root, "email_engagement")}
    seconds = {p["second_email"] for p in read_truth(root, "persons.csv") if p["second_email"]}
    outside = subscribed - crm
    assert outside & seconds
    assert not seconds & crm


def test_rates_outside_zero_to_one_are_refused_by_name():
    with pytest.raises(ValueError, match="malformed_line"):
        MessRates(malformed_line=1.5)
    with pytest.raises(ValueError, match="nonsense"):
        MessRates().with_overrides(nonsense=0.1)
