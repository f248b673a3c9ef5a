"""marts.fct_campaign_members on generated data, against the generator's campaign truth.

The generator's campaigns (datagen/campaigns.py) are the measurement ground truth: every
member must be one row on their unified customer, in their group, and every order a campaign
planted must be a completed order of that same customer after the assignment, so that
treatment against holdout conversions can be read from the marts.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import duckdb


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _truth(truth_dir: Path, name: str) -> list[dict[str, str]]:
    with (truth_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _customer_of_person(generated) -> dict[str, str]:
    """person_id -> unified customer of the person's campaign-log (subscriber) record."""
    owner = {
        r["source_record_id"]: r["person_id"]
        for r in _truth(generated.truth_dir, "identities.csv")
        if r["source"] == "campaign_log"
    }
    resolved = _rows(
        generated.full_path,
        "select source_record_id, unified_customer_id from marts.customer_identity_map "
        "where source = 'campaign_log'",
    )
    assert resolved and {record for record, _ in resolved} == set(owner)
    return {owner[record]: customer for record, customer in resolved}


def test_every_member_in_the_truth_is_one_row_on_their_unified_customer(generated):
    customer = _customer_of_person(generated)
    members = _truth(generated.truth_dir, "campaign_members.csv")
    rows = _rows(
        generated.full_path,
        'select campaign_id, unified_customer_id, "group", is_holdout, '
        "strftime(assigned_at, '%Y-%m-%dT%H:%M:%S'), assigned_date, listing_count, campaign_name, channel "
        "from marts.fct_campaign_members",
    )
    mart = {(r[0], r[1]): r[2:] for r in rows}
    assert len(mart) == len(rows) == len(members) > 100
    for m in members:
        group, is_holdout, assigned_at, assigned_date, listings, name, channel = mart[
            (m["campaign_id"], customer[m["person_id"]])
        ]
        assert (group, assigned_at, listings, channel) == (m["group"], m["assigned_at"], 1, "email")
        assert is_holdout == (m["group"] == "holdout") and str(assigned_date) == m["assigned_at"][:10]
        assert name in ("Win-back: we miss you", "Summer favourites")
    groups = {(r[0], r[2]) for r in rows}
    assert groups == {(c, g) for c in ("CMP-2026-06-A", "CMP-2026-06-B") for g in ("treatment", "holdout")}


def test_each_planted_order_is_a_completed_order_of_the_member_within_the_window(generated):
    customer = _customer_of_person(generated)
    planted = [m for m in _truth(generated.truth_dir, "campaign_members.csv") if m["order_id"]]
    assert planted
    channel = {"web_orders": "web", "pos_orders": "pos"}
    ids = ", ".join(f"'{channel[m['order_source']]}:{m['order_id']}'" for m in planted)
    orders = {
        order_id: rest
        for order_id, *rest in _rows(
            generated.full_path,
            f"select order_id, unified_customer_id, is_completed, ordered_at from marts.fct_orders "
            f"where order_id in ({ids})",
        )
    }
    assert len(orders) == len(planted)
    for m in planted:
        unified, is_completed, ordered_at = orders[f"{channel[m['order_source']]}:{m['order_id']}"]
        assigned = datetime.fromisoformat(m["assigned_at"])
        assert unified == customer[m["person_id"]] and is_completed
        assert assigned < ordered_at.replace(tzinfo=None) <= assigned + timedelta(days=14)


def test_the_model_its_tests_and_its_unit_test_ran_in_the_build(generated):
    results = {r["unique_id"]: r["status"] for r in generated.full_run_results["results"]}
    ours = {k: v for k, v in results.items() if "fct_campaign_members" in k or "stg_campaign_members" in k}
    assert ours["model.customer_platform.fct_campaign_members"] == "success"
    assert any(k.startswith("unit_test.") and v == "pass" for k, v in ours.items()), ours
    assert sum(k.startswith("test.") for k in ours) >= 8 and set(ours.values()) <= {"success", "pass"}
