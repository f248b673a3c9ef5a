"""The person-file scenario: a member file sharing no key with the CRM, with its ground truth."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from datagen.generator import generate

START, END = date(2026, 6, 1), date(2026, 6, 2)


def test_member_file_is_off_by_default(tmp_path):
    report = generate(tmp_path, 100, START, END, seed=3)
    assert "scheme_members" not in report.sources
    assert not (tmp_path / "scheme_members").exists()


def test_member_file_carries_no_key_and_every_member_is_in_the_truth(tmp_path):
    report = generate(tmp_path, 300, START, END, seed=3, member_file_share=0.5)
    assert report.sources[-1] == "scheme_members"
    with (tmp_path / "scheme_members" / "2026-06-01" / "scheme_members.csv").open() as fh:
        header = next(csv.reader(fh))
    assert not {"email", "phone", "loyalty_id", "customer_id"} & set(header)
    with (tmp_path / "_truth" / "identities.csv").open() as fh:
        truth = [row for row in csv.DictReader(fh) if row["source"] == "scheme_members"]
    assert 100 <= len(truth) == report.total_rows("scheme_members") <= 200
    assert len({row["person_id"] for row in truth}) == len(truth)  # one membership per person
    assert not (tmp_path / "scheme_members" / "2026-06-02").exists()  # a one-off export


def test_member_file_needs_a_share(tmp_path):
    with pytest.raises(ValueError, match="member_file_share"):
        generate(tmp_path, 50, START, END, sources=["crm_customers", "scheme_members"])
