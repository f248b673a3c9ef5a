"""The campaign log: its contract, the `campaign_member` vocabulary, and its group rule at ingestion."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from customer_platform import vocabulary
from customer_platform.registry import ContractError, get_registry, parse_contract
from datagen.writers import SPECS
from expectations.common import CRITICAL
from expectations.suites.silver.rules import ColumnValues, derive_rules
from tests.spark_jobs.lake import manifest, read_table
from tests.spark_jobs.landing_files import csv_text, drop_dir

DAY = "2026-06-10"


def _shipped() -> dict:
    return yaml.safe_load(Path(get_registry().get("campaign_log").path).read_text(encoding="utf-8"))


def test_the_campaign_log_is_an_active_campaign_member_source_keyed_by_email_and_customer_id():
    registry = get_registry()
    contract = registry.get("campaign_log")
    assert "campaign_log" in registry.active and not contract.example
    assert [c.name for c in registry.sources("campaign_member")] == ["campaign_log"]
    assert contract.silver_table == "campaign_members" and contract.record_id == "subscriber_id"
    assert {(i.column, i.type, i.match) for i in contract.identifiers} == {
        ("email", "email", "deterministic"),
        ("customer_id", "customer_id", "deterministic"),
    }
    assert contract.measures == {
        "campaign_id": "campaign_id",
        "campaign_name": "campaign_name",
        "channel": "channel",
        "group": "group",
        "assigned_at": "assigned_at",
    }
    assert contract.pii["email"] == "contact" and contract.trust_rank == 7
    # The generator writes exactly the columns the contract reads.
    assert list(SPECS["campaign_log"].columns) == list(contract.field_names)


def test_the_vocabulary_knows_the_campaign_member_and_its_groups():
    assert "campaign_member" in vocabulary.ENTITIES
    roles = vocabulary.ENTITY_MEASURES["campaign_member"]
    assert {r for r, required in roles.items() if required} == {"campaign_id", "assigned_at", "group"}
    assert {r for r, required in roles.items() if not required} == {"channel", "campaign_name"}
    assert vocabulary.CAMPAIGN_GROUPS == ("treatment", "holdout")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["measures"].pop("group"), "needs measures group"),
        (lambda d: d["measures"].pop("assigned_at"), "needs measures assigned_at"),
        (lambda d: _group_field(d).pop("allowed"), "measures.group must declare allowed"),
        (
            lambda d: _group_field(d).update(allowed=["treatment", "holdout", "control"]),
            re.escape("allowed: [treatment, holdout]"),
        ),
        (lambda d: d["measures"].update(event_type="group"), "measures.event_type is not a measure"),
    ],
)
def test_a_campaign_member_contract_breaking_the_rules_is_refused_by_name(tmp_path, change, named):
    data = _shipped()
    change(data)
    with pytest.raises(ContractError, match=named):
        parse_contract(data, tmp_path / "campaigns.yml")


def _group_field(data: dict) -> dict:
    return next(f for f in data["fields"] if f["name"] == "group")


def test_groups_in_any_case_are_accepted_and_the_silver_gate_rechecks_them_critically(tmp_path):
    data = _shipped()
    _group_field(data)["allowed"] = ["Treatment", "HOLDOUT"]
    assert parse_contract(data, tmp_path / "campaigns.yml").entity == "campaign_member"
    rules = derive_rules(get_registry().get("campaign_log"))
    assert ColumnValues("group", ("treatment", "holdout"), CRITICAL) in rules.in_sets
    assert rules.natural_key == ("campaign_id", "subscriber_id")
    assert rules.required == ("campaign_id", "subscriber_id", "group", "assigned_at")


HEADER = [
    "campaign_id",
    "campaign_name",
    "channel",
    "subscriber_id",
    "customer_id",
    "email",
    "group",
    "assigned_at",
]


def _member(k: int, group: str, **overrides) -> dict:
    row = dict(
        campaign_id="CMP-2026-06-B",
        campaign_name="Summer favourites",
        channel="Email",
        subscriber_id=f"S{k:07d}",
        customer_id=f"C{k:07d}",
        email=f" Member{k}@Example.COM",
        group=group,
        assigned_at=f"{DAY}T06:00:{k:02d}",
    )
    return {**row, **overrides}


def test_ingestion_quarantines_an_unknown_group_with_its_reason(spark, isolated_settings, monkeypatch):
    from customer_platform.config import reload_settings
    from spark_jobs.ingest import ingest_source

    monkeypatch.setenv("CDP_MAX_QUARANTINE_RATE", "1.0")  # three bad rows of seven: keep the day
    s = reload_settings()
    rows = [
        _member(1, "treatment"),
        _member(2, "Holdout"),
        _member(3, "control"),
        _member(4, ""),
        _member(5, "treatment", email="", customer_id=""),
        _member(6, "treatment"),
        _member(6, "treatment"),  # listed twice: one silver row
    ]
    folder = drop_dir(s.landing_dir, "campaign_log", DAY)
    (folder / "campaign_log.csv").write_text(csv_text(rows, HEADER), encoding="utf-8")

    result = ingest_source("campaign_log", DAY, run_id="campaigns", spark=spark)

    assert (result["rows_read"], result["rows_bronze"], result["rows_quarantined"]) == (7, 4, 3)
    assert result["rows_silver"] == 3 and manifest(s, "campaign_log", DAY)["rows_duplicates"] == 1
    reasons = sorted(r["_reason"] for r in read_table(s.quarantine_dir / "campaign_log"))
    assert any("group must be one of [treatment, holdout]: 'control'" in r for r in reasons), reasons
    assert any("group" in r and "required" in r for r in reasons), reasons
    assert any("one of email, customer_id is required" in r for r in reasons), reasons
    silver = {r["subscriber_id"]: r for r in read_table(s.silver_dir / "campaign_members")}
    assert {k: r["group"] for k, r in silver.items()} == {
        "S0000001": "treatment",
        "S0000002": "holdout",
        "S0000006": "treatment",
    }
    assert silver["S0000002"]["email"] == "member2@example.com"
    assert silver["S0000002"]["channel"] == "email"
