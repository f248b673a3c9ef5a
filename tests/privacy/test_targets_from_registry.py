"""Erasure's column maps come from the active sources' contracts (no Spark, no dbt).

A new contract (a loyalty app whose members are keyed by their loyalty card, with a hashed
email and phone and a shared-device id) must be searched, harvested and suppressed without
code changes, and a source left out of CDP_SOURCES must not be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from customer_platform.config import SHIPPED_CONTRACTS_DIR, reload_settings
from customer_platform.identifiers import salted_sha256, sha256
from customer_platform.suppression import read_suppression_entries, suppression_key
from privacy import columns
from privacy.audit import append_to_suppression_list
from privacy.request import ErasureRequest
from privacy.targets import ErasureTargets, expand_from_silver, expand_from_warehouse, seed_targets

LOYALTY_APP = """
name: loyalty_app
description: Members of the loyalty app (test contract).
format: csv
natural_key: [member_id]
entity: customer_record
trust_rank: 7
record_id: member_id
identifiers:
  member_id: loyalty_id
  mail: email
  mobile: phone
  device_id: {type: cookie_id, per_record: most_frequent}
  given_name: first_name
fields:
  - {name: member_id, required: true}
  - {name: mail}
  - {name: mobile}
  - {name: device_id}
  - {name: given_name}
silver:
  table: loyalty_members
  columns:
    - member_id: trim
    - mail: email
    - mail_hash: {std: salted_sha256, of: mail}
    - mobile: phone
    - mobile_hash: {std: salted_sha256, of: mobile}
    - device_id: trim
    - given_name: trim
"""
SHIPPED = ("crm_customers", "web_orders", "pos_orders", "web_events", "email_engagement", "demographics")
SALT = "test-salt"


def _use(monkeypatch, tmp_path: Path, sources: tuple[str, ...]):
    contracts = tmp_path / "contracts"
    contracts.mkdir(exist_ok=True)
    for name in SHIPPED:
        shutil.copy(SHIPPED_CONTRACTS_DIR / f"{name}.yml", contracts)
    (contracts / "loyalty_app.yml").write_text(LOYALTY_APP, encoding="utf-8")
    monkeypatch.setenv("CDP_CONTRACTS_DIR", str(contracts))
    monkeypatch.setenv("CDP_SOURCES", ",".join(sources))
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CDP_HASH_SALT", SALT)
    for name in ("CDP_LANDING_DIR", "CDP_LAKEHOUSE_DIR", "CDP_WAREHOUSE_PATH"):
        monkeypatch.delenv(name, raising=False)
    return reload_settings()


@pytest.fixture()
def with_app(tmp_path, monkeypatch):
    """Settings whose registry holds the shipped sources and the loyalty app, all active."""
    yield _use(monkeypatch, tmp_path, (*SHIPPED, "loyalty_app"))
    monkeypatch.undo()
    reload_settings()


@pytest.fixture()
def without_app_and_web_events(tmp_path, monkeypatch):
    """The same contracts, with the loyalty app and web events left out of CDP_SOURCES."""
    yield _use(monkeypatch, tmp_path, tuple(s for s in SHIPPED if s != "web_events"))
    monkeypatch.undo()
    reload_settings()


@pytest.fixture()
def shipped(monkeypatch):
    """The shipped contracts with the default active set."""
    monkeypatch.delenv("CDP_CONTRACTS_DIR", raising=False)
    monkeypatch.delenv("CDP_SOURCES", raising=False)
    yield reload_settings()
    monkeypatch.undo()
    reload_settings()


def test_the_shipped_registry_gives_the_columns_erasure_always_used(shipped):
    assert columns.record_id_columns() == {
        "crm_customers": "customer_id", "pos_orders": "transaction_id", "email_engagement": "subscriber_id",
        "web_orders": "order_id", "web_events": "cookie_id", "campaign_log": "subscriber_id",
    }  # fmt: skip
    assert set(columns.identity_column_names()) == {
        "customer_id", "user_id", "order_id", "transaction_id", "cookie_id", "subscriber_id",
        "loyalty_id", "email_hash", "phone_hash", "email_sha256",
    }  # fmt: skip
    harvested = columns.harvested_columns()
    assert harvested["crm_customers"] == (
        "customer_id",
        "email_hash",
        "email_sha256",
        "phone_hash",
        "loyalty_id",
    )
    # A shared computer's user ids belong to several people: only the cookie is harvested.
    assert harvested["web_events"] == ("cookie_id",)
    # An enrichment is no record of the person: searched by value in purges, never harvested.
    assert "demographics" not in harvested


def test_a_new_contract_is_searched_harvested_and_suppressed_by_its_declarations(with_app):
    assert columns.record_id_columns()["loyalty_app"] == "member_id"
    names = columns.identity_column_names()
    assert {"member_id", "mail_hash", "mobile_hash", "device_id"} <= set(names)
    # Raw contact data and matching attributes are never identity columns.
    assert not {"mail", "mobile", "given_name", "email", "phone", "first_name"} & set(names)
    assert columns.harvested_columns()["loyalty_members"] == ("member_id", "mail_hash", "mobile_hash")
    assert columns.searched_columns()["loyalty_members"] == (
        "member_id",
        "mail_hash",
        "mobile_hash",
        "device_id",
    )
    spaces = columns.key_spaces()
    assert spaces[("email", "salted_sha256")] == ("email_hash", "mail_hash")
    assert spaces[("loyalty_id", "raw")] == ("loyalty_id", "member_id")


def test_a_source_left_out_of_cdp_sources_is_not_in_any_map(without_app_and_web_events):
    assert "web_events" not in columns.record_id_columns()
    assert "loyalty_app" not in columns.record_id_columns()
    assert not {"cookie_id", "user_id", "member_id", "mail_hash"} & set(columns.identity_column_names())
    assert not {"web_events", "loyalty_members"} & set(columns.harvested_columns())
    assert columns.key_spaces()[("customer_id", "raw")] == ("customer_id",)


def test_the_request_seeds_every_column_of_its_key_spaces(with_app):
    request = ErasureRequest.from_conf(
        {"email": "Ann@Example.com", "phone": "07700 900123", "crm_customer_id": "C1"}
    )
    keys = seed_targets(request, SALT).keys
    email, phone = salted_sha256("ann@example.com", SALT), salted_sha256("+447700900123", SALT)
    assert keys["email_hash"] == keys["mail_hash"] == [email]
    assert keys["email_sha256"] == [sha256("ann@example.com")]
    assert keys["phone_hash"] == keys["mobile_hash"] == [phone]
    assert keys["customer_id"] == keys["user_id"] == ["C1"]
    assert "ann@example.com" not in {v for vs in keys.values() for v in vs}


def _silver(settings, table: str, rows: list[dict]) -> None:
    folder = settings.silver_dir / table / "ingest_date=2026-06-01"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")


def _write_silver(settings) -> dict[str, str]:
    ann, mobile = salted_sha256("ann@example.com", SALT), salted_sha256("+447700900123", SALT)
    _silver(settings, "crm_customers", [
        {"customer_id": "C1", "email_hash": ann, "phone_hash": None, "loyalty_id": "L1"},
        {"customer_id": "C2", "email_hash": "other", "phone_hash": None, "loyalty_id": "L2"},
    ])  # fmt: skip
    _silver(settings, "loyalty_members", [
        {"member_id": "L1", "mail_hash": None, "mobile_hash": mobile, "device_id": "shared-tablet"},
        {"member_id": "L2", "mail_hash": None, "mobile_hash": "other", "device_id": "shared-tablet"},
    ])  # fmt: skip
    _silver(settings, "web_events", [
        {"event_id": "E1", "cookie_id": "ck1", "user_id": "C1"},
        {"event_id": "E2", "cookie_id": "ck1", "user_id": "C2"},
    ])  # fmt: skip
    return {"mobile": mobile}


def test_silver_resolution_follows_the_contracts_one_hop(with_app):
    hashes = _write_silver(with_app)
    targets = seed_targets(ErasureRequest.from_conf({"email": "ann@example.com"}), SALT)
    expand_from_silver(targets)
    keys = targets.keys
    assert keys["customer_id"] == ["C1"] and keys["loyalty_id"] == ["L1"]
    # The CRM record's loyalty card finds the app member (trust order), who brings their phone.
    assert keys["member_id"] == ["L1"] and keys["mobile_hash"] == [hashes["mobile"]]
    assert keys["cookie_id"] == ["ck1"]
    # Neither the shared device nor the cookie's other user is the person.
    assert not {"shared-tablet", "C2", "L2"} & targets.all_keys()


def test_silver_resolution_skips_inactive_sources(without_app_and_web_events):
    _write_silver(without_app_and_web_events)
    targets = seed_targets(ErasureRequest.from_conf({"email": "ann@example.com"}), SALT)
    expand_from_silver(targets)
    assert targets.keys["loyalty_id"] == ["L1"]
    assert not {"member_id", "mobile_hash", "cookie_id"} & set(targets.keys)


def test_warehouse_records_map_to_the_record_id_column_of_their_source(with_app):
    with_app.warehouse_path.parent.mkdir(parents=True)
    with_app.restricted_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(with_app.warehouse_path))
    con.execute(f"attach '{with_app.restricted_path}' as restricted")
    con.execute("create schema marts; create schema restricted.intermediate")
    con.execute(
        "create table marts.customer_identity_map as select * from (values "
        "('crm_customers:C1', 'crm_customers', 'C1', 'U1'), ('loyalty_app:L9', 'loyalty_app', 'L9', 'U1'), "
        "('web_events:ck7', 'web_events', 'ck7', 'U1'), ('crm_customers:C2', 'crm_customers', 'C2', 'U2')) "
        "t(record_key, source, source_record_id, unified_customer_id)"
    )
    con.execute(
        "create table restricted.intermediate.int_identity_records_unioned as select * from (values "
        "('crm_customers:C1', 'h-ann', null, 'L1'), ('crm_customers:C2', 'h-bo', null, 'L2')) "
        "t(record_key, email_hash, phone_hash, loyalty_id)"
    )
    con.close()
    targets = ErasureTargets("t", keys={"email_hash": ["h-ann"]})
    expand_from_warehouse(targets)
    assert targets.unified_customer_ids == ["U1"]
    assert targets.keys["member_id"] == ["L9"] and targets.keys["cookie_id"] == ["ck7"]
    assert targets.keys["customer_id"] == ["C1"] and targets.keys["loyalty_id"] == ["L1"]
    assert "C2" not in targets.all_keys()


def test_the_suppression_list_gets_the_new_columns_once(with_app):
    targets = ErasureTargets("t", keys={"member_id": ["L9"], "mail_hash": ["h"], "mail": ["ann@example.com"]})
    assert append_to_suppression_list(targets) == 2
    assert append_to_suppression_list(targets) == 0
    header, rows = read_suppression_entries()
    assert header == ["member_id", "mail_hash"]  # identity-column order: the record id first
    listed = with_app.suppression_keys_path.read_text()
    assert "ann@example.com" not in listed and "L9" not in listed, "keyed hashes only"
    assert sorted((k, v) for row in rows for k, v in row.items() if v) == [
        ("mail_hash", suppression_key("h")),
        ("member_id", suppression_key("L9")),
    ]


def test_purges_reach_sources_that_left_cdp_sources(without_app_and_web_events, tmp_path):
    from privacy.matching import ValueMatcher
    from privacy.purge import layer_tables, purge_landing

    # Data delivered before a source left CDP_SOURCES is still the person's: it is purged too.
    assert "web_events" in layer_tables("bronze") and "web_events" in layer_tables("silver")
    drop = without_app_and_web_events.landing_dir / "web_events" / "2026-06-01"
    drop.mkdir(parents=True)
    (drop / "events.jsonl").write_text(
        '{"event_id": "E1", "cookie_id": "K-GONE"}\n{"event_id": "E2", "cookie_id": "K-KEEP"}\n',
        encoding="utf-8",
    )
    matcher = ValueMatcher(["K-GONE"], [], [], "salt")
    assert purge_landing(matcher) == {"web_events": 1}
    assert "K-GONE" not in (drop / "events.jsonl").read_text()
