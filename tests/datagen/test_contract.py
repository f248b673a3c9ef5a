"""The files follow docs/contracts.md: layout, headers, id formats, value domains."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from datagen import clock
from tests.datagen.conftest import CUSTOMERS, END, START
from tests.datagen.landing import (
    CONTRACT_COLUMNS,
    as_utc,
    csv_rows,
    file_rows,
    files,
    json_events,
    parse_ts,
    read_truth,
)

DAYS = [(START + timedelta(days=d)).isoformat() for d in range((END - START).days + 1)]
OFFSET_OR_NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d)?$")
NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def test_one_file_per_source_per_day_with_contract_header(default_run):
    root, _ = default_run
    for source, columns in CONTRACT_COLUMNS.items():
        days = [p.parent.name for p in files(root, source)]
        expected = DAYS[::7] if source == "demographics" else DAYS
        assert days == expected, source
        if source != "web_events":
            for path in files(root, source):
                assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(columns)


def test_no_field_ever_needs_quoting(default_run):
    root, _ = default_run
    for source in CONTRACT_COLUMNS:
        if source != "web_events":
            for path in files(root, source):
                assert '"' not in path.read_text(encoding="utf-8"), path


def test_ids_and_codes_have_the_documented_shapes(default_run):
    root, _ = default_run
    shapes = {
        ("crm_customers", "customer_id"): r"C\d{7}",
        ("crm_customers", "loyalty_id"): r"(L\d{8})?",
        ("web_orders", "order_id"): r"W\d{8}",
        ("web_orders", "customer_id"): r"C\d{7}",
        ("web_orders", "order_status"): r"completed|cancelled|returned",
        ("web_orders", "currency"): r"GBP|EUR|USD",
        ("pos_orders", "transaction_id"): r"P\d{8}",
        ("pos_orders", "loyalty_id"): r"(L\d{8})?",
        ("email_engagement", "subscriber_id"): r"S\d{7}",
        ("email_engagement", "event_type"): r"sent|open|click|bounce|unsubscribe",
        ("demographics", "email_sha256"): r"[0-9a-f]{64}",
        ("demographics", "age_band"): r"18-24|25-34|35-44|45-54|55-64|65\+",
        ("demographics", "has_children"): r"true|false",
    }
    for (source, column), pattern in shapes.items():
        values = {row[column] for row in csv_rows(root, source)}
        assert values, (source, column)
        bad = [v for v in values if not re.fullmatch(pattern, v)]
        assert not bad, (source, column, bad[:5])
    for row in csv_rows(root, "web_orders") + csv_rows(root, "pos_orders"):
        assert row["category"] in {"apparel", "footwear", "beauty", "home", "electronics", "outlet"}
        assert int(row["quantity"]) != 0


def test_pos_lines_carry_a_loyalty_card_or_an_email(default_run):
    rows = csv_rows(default_run[0], "pos_orders")
    assert rows
    assert all(r["loyalty_id"] or r["email"].strip() for r in rows)
    assert any(r["loyalty_id"] and not r["email"] for r in rows)
    assert any(r["email"] and not r["loyalty_id"] for r in rows)


def test_timestamp_styles(default_run):
    root, _ = default_run
    crm = csv_rows(root, "crm_customers")
    stamps = [r["created_at"] for r in crm] + [r["ordered_at"] for r in csv_rows(root, "web_orders")]
    assert all(OFFSET_OR_NAIVE.match(s) for s in stamps)
    assert any(s.endswith("+01:00") for s in stamps) and any(NAIVE.match(s) for s in stamps)
    assert all(NAIVE.match(r["transacted_at"]) for r in csv_rows(root, "pos_orders"))
    events, _ = json_events(root)
    assert all(e["occurred_at"].endswith("Z") and parse_ts(e["occurred_at"]) for e in events)
    assert all(as_utc(r["updated_at"]) >= as_utc(r["created_at"]) for r in crm)
    assert all(r["birth_date"] == "" or date.fromisoformat(r["birth_date"]) for r in crm)


def test_daily_drops_hold_that_days_activity_and_history_arrives_first(default_run):
    root, _ = default_run
    for path in files(root, "web_orders"):
        days = {as_utc(r["ordered_at"]).date() for r in file_rows(path, "web_orders")}
        if path.parent.name == DAYS[0]:
            assert min(days) <= START - timedelta(days=300)
        else:
            assert days == {date.fromisoformat(path.parent.name)}
    events, _ = json_events(root)
    assert {e["occurred_at"][:10] for e in events} == set(DAYS)


def test_crm_first_drop_is_full_and_later_drops_are_incremental(default_run):
    root, _ = default_run
    truth = {
        r["source_record_id"] for r in read_truth(root, "identities.csv") if r["source"] == "crm_customers"
    }
    by_day = {
        p.parent.name: {line.split(",")[0] for line in p.read_text().splitlines()[1:]}
        for p in files(root, "crm_customers")
    }
    assert len(by_day[DAYS[0]]) > 0.7 * len(truth)
    assert set().union(*by_day.values()) == truth
    for day in DAYS[1:]:
        assert len(by_day[day]) < 0.2 * len(by_day[DAYS[0]])


def test_demographics_keyed_by_sha256_of_normalised_email(default_run):
    root, _ = default_run
    persons = read_truth(root, "persons.csv")
    hashes = {r["email_sha256"] for r in csv_rows(root, "demographics")}
    known = [hashlib.sha256(p["email"].strip().lower().encode()).hexdigest() in hashes for p in persons]
    assert 0.45 < np.mean(known) < 0.75
    assert len(hashes) > sum(known)  # the vendor also knows people who are not customers
    assert len(persons) == CUSTOMERS


def test_london_offsets_agree_with_zoneinfo():
    london = ZoneInfo("Europe/London")
    secs = np.arange(1_700_000_000, 1_800_000_000, 3_599 * 7)
    expected = [
        int(datetime.fromtimestamp(s, london).utcoffset().total_seconds() // 3600) for s in secs.tolist()
    ]
    assert clock.london_offset_hours(secs).tolist() == expected
