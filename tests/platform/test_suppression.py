"""The suppression list holds keyed hashes: it recognises an erased person and nothing else can look them up."""

from __future__ import annotations

import csv

from customer_platform.identifiers import salted_sha256, sha256


def _write_legacy(settings, header, rows):
    settings.suppression_path.parent.mkdir(parents=True, exist_ok=True)
    with settings.suppression_path.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


def test_keys_are_neither_the_values_nor_the_platforms_hashes(isolated_settings):
    from customer_platform.suppression import suppression_key

    email = "ann@example.com"
    salted = salted_sha256(email, isolated_settings.hash_salt)
    key = suppression_key(salted)
    assert len(key) == 64 and key not in {salted, sha256(email), sha256(salted), salted_sha256(salted, "")}
    assert suppression_key(f" {salted}\u00a0") == key, "trimmed as ingestion trims"
    assert suppression_key(salted, salt="another-salt") != key, "no key without the platform's salt"


def test_a_legacy_plain_list_is_read_keyed_and_moved_to_the_keyed_list(isolated_settings):
    from customer_platform.suppression import read_suppression_entries, suppressed_keys, suppression_key
    from privacy.audit import append_to_suppression_list
    from privacy.targets import ErasureTargets

    _write_legacy(isolated_settings, ["customer_id", "email_hash"], [["C0000001", ""], ["", "h1"]])
    assert suppressed_keys() == {suppression_key("C0000001"), suppression_key("h1")}

    added = append_to_suppression_list(ErasureTargets("r", keys={"customer_id": ["C0000002"]}))

    assert added == 1 and not isolated_settings.suppression_path.exists()
    listed = isolated_settings.suppression_keys_path.read_text()
    assert "C000000" not in listed and "h1" not in listed.split()
    header, rows = read_suppression_entries()
    assert header == ["customer_id", "email_hash"]
    assert {v for row in rows for v in row.values() if v} == {
        suppression_key(v) for v in ("C0000001", "C0000002", "h1")
    }


def test_the_sweep_matcher_knows_the_person_only_through_keys(isolated_settings):
    from customer_platform.suppression import suppression_key
    from privacy.matching import ValueMatcher

    salt = isolated_settings.hash_salt
    keys = {suppression_key(salted_sha256("ann@example.com", salt)), suppression_key("C0000042"),
            suppression_key(salted_sha256("+447700900123", salt))}  # fmt: skip
    matcher = ValueMatcher.for_suppression_keys(keys)
    assert matcher.line("S1, ANN@Example.com ,open")
    assert matcher.line('{"user_id": "C0000042"}')
    assert matcher.line("C9,Bo,Li,bo@x.org,07700 900123")
    assert not matcher.line("C9,Bo,Li,bo@x.org,07700 900124,C00000421")
