"""Scrubbing personal data out of exception messages, with identifiers shaped like the platform's data."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_platform.identifiers import normalize_email, normalize_phone, salted_sha256
from customer_platform.redaction import is_identifier_key, scrub

EMAILS = [
    "ann.smith@example.com",
    " Ann.Smith+promo@Example.CO.UK ",
    "o'brien.j@mail.example.org",
    "JOHN_DOE-1984@sub.example.net",
]
# As the CRM, POS and email tools write them (the generator's messes): GB national and
# international forms, the "(0)" habit, 00 prefixes, a French mobile.
PHONES = [
    ("07700 900123", None),
    ("07700-900-123", None),
    ("+44 7700 900123", None),
    ("+44 (0)20 7946 0958", None),
    ("(020) 7946 0958", None),
    ("0044 7700 900 123", None),
    ("447700900123", None),
    ("+33 6 12 34 56 78", "FR"),
    ("06.12.34.56.78", "FR"),
]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("email", EMAILS)
def test_emails_are_removed_in_any_spelling(email):
    assert normalize_email(email), "a real-looking address by the platform's own rule"
    message = f"ValueError: duplicate contact {email} in row 17 (email={email.strip()})"
    scrubbed = scrub(message)
    assert email.strip().lower() not in scrubbed.lower()
    assert "@" not in scrubbed
    assert "[email]" in scrubbed and "row 17" in scrubbed


@pytest.mark.parametrize(("phone", "country"), PHONES)
def test_phones_are_removed_in_any_format(phone, country):
    e164 = normalize_phone(phone, country)
    assert e164, "a valid phone by the platform's own normaliser"
    for message in (
        f"could not match phone {phone} to a customer",
        f"bad value '{phone}' in column mobile",
        f"contact: {e164}",
    ):
        scrubbed = scrub(message)
        assert _digits(phone) not in _digits(scrubbed), scrubbed
        assert _digits(e164)[-7:] not in _digits(scrubbed), scrubbed


@given(
    number=st.from_regex(r"7[0-9]{9}", fullmatch=True),
    style=st.sampled_from(
        ["0{a} {b}", "+44 {a} {b}", "0{a}-{b}", "(0{a}) {b}", "0044{a}{b}", "+44(0){a}.{b}"]
    ),
)
def test_any_formatted_gb_mobile_leaves_no_digit(number, style):
    phone = style.format(a=number[:4], b=number[4:])
    assert normalize_phone(phone) == "+44" + number
    assert not re.search(r"\d", scrub(f"Customer phone {phone} failed the check")), phone


def test_ids_hashes_and_long_numbers_are_removed():
    hashed = salted_sha256("ann.smith@example.com", "salt")
    message = (
        f"no profile for C0000123 / L00012345 (subscriber S0000001), key {hashed}, "
        "unified U3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d, cookie 550e8400-e29b-41d4-a716-446655440000, "
        "card 4111111111111111"
    )
    scrubbed = scrub(message)
    for planted in (
        "0000123",
        "00012345",
        "0000001",
        hashed,
        "3f2a9c0d4b1e8f7a",
        "550e8400",
        "4111111111111111",
    ):
        assert planted not in scrubbed
    assert scrubbed.startswith("no profile for C[number] / L[number]")


def test_identifier_key_value_pairs_lose_their_value():
    message = (
        "Row(customer_id='C12', first_name='Ann', lastName=\"Smith\", postcode='SW1A 1AA', city='Leeds'); "
        "url: https://shop.example/api?email=ann%40example.com&token=s3cr3t&page=2 password=hunter2"
    )
    scrubbed = scrub(message)
    for planted in ("C12", "Ann", "Smith", "SW1A", "ann%40example.com", "s3cr3t", "hunter2", "Leeds"):
        assert planted not in scrubbed, planted
    assert "page=2" in scrubbed and "customer_id=[redacted]" in scrubbed


def test_what_operators_need_stays_readable():
    message = (
        "silver gate failed for 2026-06-30: Table 'marts.customer_segments' has 12 unexpected rows "
        "in /data/lakehouse/silver/crm_customers; run manual__2026-06-30T00:00:00+00:00, "
        "model models:/customer_churn@champion; can't continue"
    )
    assert scrub(message) == message


def test_dates_and_run_ids_stay_whole_but_a_birth_date_under_its_key_does_not():
    run_id = "manual__2026-12-06T12:50:45.202220+00:00"
    assert scrub(f"run {run_id} at 2026-06-30 12:00:01Z") == f"run {run_id} at 2026-06-30 12:00:01Z"
    assert scrub("birth_date=1984-03-02, dob: '1984-03-02'") == "birth_date=[redacted], dob: [redacted]"
    assert scrub("2026-06-30 07700 900123") == "2026-06-30 [phone]"


def test_keys_that_name_identifiers():
    assert all(
        map(is_identifier_key, ["email", "customer_id", "firstName", "phone_number", "ip", "api.token"])
    )
    assert not any(map(is_identifier_key, ["rows", "threshold", "stage", "KeyError", "url", "page"]))


def test_long_messages_are_truncated_and_whitespace_collapsed():
    scrubbed = scrub("Traceback\n   line\t" + "x" * 1000, limit=120)
    assert len(scrubbed) == 120 and scrubbed.endswith("…") and "\n" not in scrubbed
