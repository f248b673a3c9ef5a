"""The manifest reader tolerates the shapes an ingestion job may write."""

from __future__ import annotations

import json
from datetime import date

import pytest

from expectations.manifests import extract_counts, manifest_path, read_manifest

DAY = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"rows_read": 100, "rows_bronze": 90, "rows_quarantined": 10}, (100, 90, 10)),
        ({"totals": {"read": 50, "bronze": 45, "quarantined": 5}}, (50, 45, 5)),
        ({"files": [{"rows_read": 10, "rows_bronze": 9, "rows_quarantined": 1}] * 3}, (30, 27, 3)),
        ({"rows_bronze": 95, "rows_quarantined": 5}, (100, 95, 5)),
        ({"rows_read": 100, "rows_bronze": 97}, (100, 97, 3)),
        ({"counts": {"bronze": {"rows": 8}, "quarantine": {"rows": 2}}}, (10, 8, 2)),
        ({"source": "x", "rows_per_second": 12.5}, (None, None, None)),
    ],
)
def test_extract_counts_finds_counts_in_several_shapes(payload, expected):
    counts = extract_counts(payload)
    assert (counts["rows_read"], counts["rows_bronze"], counts["rows_quarantined"]) == expected


def test_read_manifest_computes_quarantine_rate_and_reconciliation(tmp_path):
    path = manifest_path(tmp_path, "web_orders", DAY)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"rows_read": 200, "rows_bronze": 150, "rows_quarantined": 40}))

    counts, problem = read_manifest(tmp_path, "web_orders", DAY)

    assert problem is None
    assert counts.quarantine_rate == pytest.approx(0.2)
    assert counts.rows_unaccounted == 10


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"rows_per_second": 3})])
def test_missing_or_unusable_manifest_is_reported_not_raised(tmp_path, content):
    if content is not None:
        path = manifest_path(tmp_path, "crm_customers", DAY)
        path.parent.mkdir(parents=True)
        path.write_text(content)

    counts, problem = read_manifest(tmp_path, "crm_customers", DAY)

    assert counts is None
    assert "crm_customers" in problem and str(DAY) in problem
