"""A member file with no email or phone links to the CRM on names, birth date and address."""

from __future__ import annotations

import duckdb

from bench.identity_quality import identity_metrics

PRECISION_TARGET, RECALL_TARGET = 0.98, 0.90


def test_member_file_meets_the_precision_and_recall_targets(person_file):
    metrics = identity_metrics(
        person_file.warehouse_path, person_file.truth_dir, focus_source="scheme_members"
    )
    # Enough member-to-contact pairs to measure (about 0.5 x 0.85 x 400 persons).
    assert metrics["true_pairs"] >= 120, metrics
    assert metrics["precision"] >= PRECISION_TARGET, metrics
    assert metrics["recall"] >= RECALL_TARGET, metrics
    overall = identity_metrics(person_file.warehouse_path, person_file.truth_dir)
    assert overall["precision"] >= PRECISION_TARGET and overall["records_not_in_truth"] == 0, overall


def test_every_probabilistic_link_carries_its_probability(person_file):
    con = duckdb.connect(str(person_file.warehouse_path), read_only=True)
    try:
        methods = dict(
            con.execute(
                "select match_method, count(*) filter (where match_probability is null) "
                "from marts.customer_identity_map group by 1"
            ).fetchall()
        )
        threshold = con.execute(
            "select min(match_probability) from marts.customer_identity_map where match_method = 'probabilistic'"
        ).fetchone()[0]
        crm_pairs = con.execute(
            "select count(*) from (select unified_customer_id from marts.customer_identity_map "
            "where source = 'scheme_members' group by 1 having count(*) > 1)"
        ).fetchone()[0]
    finally:
        con.close()
    assert methods.get("probabilistic") == 0, methods
    assert threshold >= 0.95
    # The guard: two members of the scheme are never merged on a guess.
    assert crm_pairs == 0
