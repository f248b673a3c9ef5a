"""Sources are data: a contract YAML alone adds a source, and CDP_SOURCES removes one everywhere in dbt."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from customer_platform.config import SHIPPED_CONTRACTS_DIR
from tests.dbt.silver_fixture import LOGICAL_DATE, SALT, build_fixture, salted

PARTNER_DROP = "2026-06-20"

# A second CRM-like export (a partner's loyalty club), described only by this contract: other
# header names, its own record id, a lower trust rank than the CRM, a name and a phone.
PARTNER_CONTRACT = """
name: partner_contacts
description: Contacts of a partner loyalty club (weekly export).
entity: customer_record
trust_rank: 2
record_id: member_ref
format: csv
natural_key: [member_ref]
latest_by: changed_at
identifiers:
  member_ref: customer_id
  mail: email
  mobile: phone
  given_name: first_name
  family_name: last_name
measures:
  observed_at: changed_at
  country_code: country_code
fields:
  - {name: member_ref, source: Ref, required: true}
  - {name: mail, source: Mail}
  - {name: mobile, source: Mobile}
  - {name: given_name, source: Given}
  - {name: family_name, source: Family}
  - {name: country, source: Country}
  - {name: changed_at, source: Changed, type: timestamp, required: true}
silver:
  table: partner_contacts
  columns:
    - member_ref: trim
    - mail: email
    - mail_hash: {std: salted_sha256, of: mail}
    - mobile: {std: phone, country: country}
    - mobile_hash: {std: salted_sha256, of: mobile}
    - given_name: trim
    - family_name: trim
    - country_code: {std: country, of: country}
    - changed_at: copy
"""

PARTNER_ROWS = """Ref,Mail,Mobile,Given,Family,Country,Changed
P-1, Carol@Example.ORG ,07700 900123,Carol,Jones,GB,2026-06-19T10:00:00Z
P-2,erin@example.net,,Erin,Brown,GB,2026-06-19T11:00:00Z
"""


def _query(settings, sql: str) -> list[tuple]:
    """Rows of `sql` over the warehouse with the restricted database attached, contact values decrypted."""
    from customer_platform.pii_cipher import PREFIX, decrypt_value
    from customer_platform.restricted import attach_restricted
    from customer_platform.warehouse import release_dbt_connections

    release_dbt_connections()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        attach_restricted(con, read_only=True, settings=settings)
        rows = con.execute(sql).fetchall()
    finally:
        con.close()

    def clear(value):
        encrypted = isinstance(value, str) and value.startswith(PREFIX)
        return decrypt_value(value, settings.pii_key) if encrypted else value

    return [tuple(clear(v) for v in row) for row in rows]


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """A data dir and a contracts dir (the shipped contracts plus the partner's), hash salt of the fixture."""
    from customer_platform.config import reload_settings

    root = tmp_path_factory.mktemp("registry")
    contracts = root / "contracts"
    shutil.copytree(SHIPPED_CONTRACTS_DIR, contracts)
    (contracts / "partner_contacts.yml").write_text(PARTNER_CONTRACT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_CONTRACTS_DIR", str(contracts))
        patch.setenv("CDP_HASH_SALT", SALT)
        for name in ("CDP_SOURCES", "CDP_LAKEHOUSE_DIR", "CDP_WAREHOUSE_PATH", "CDP_LANDING_DIR"):
            patch.delenv(name, raising=False)
        yield patch, root
    reload_settings()


def _settings_for(patch, root: Path, name: str, sources: str | None):
    from customer_platform.config import reload_settings

    patch.setenv("CDP_DATA_DIR", str(root / name))
    if sources is None:
        patch.delenv("CDP_SOURCES", raising=False)
    else:
        patch.setenv("CDP_SOURCES", sources)
    settings = reload_settings()
    build_fixture().write(settings.lakehouse_dir)
    return settings


@pytest.fixture(scope="module")
def with_partner(environment, spark):
    """The planted silver plus the partner's drop ingested by Spark from its contract, then dbt."""
    from customer_platform.warehouse import dbt_build
    from spark_jobs.ingest import ingest_source

    patch, root = environment
    settings = _settings_for(patch, root, "with-partner", None)
    drop = settings.landing_dir / "partner_contacts" / PARTNER_DROP
    drop.mkdir(parents=True)
    (drop / "members.csv").write_text(PARTNER_ROWS, encoding="utf-8")
    manifest = ingest_source("partner_contacts", PARTNER_DROP, run_id="test", spark=spark)
    assert (manifest["rows_read"], manifest["rows_silver"]) == (2, 2), manifest
    dbt_build(LOGICAL_DATE.isoformat())
    return settings


def test_a_contract_alone_adds_its_records_to_the_identity_graph(with_partner):
    rows = _query(
        with_partner,
        "select source_record_id, unified_customer_id from marts.customer_identity_map "
        "where source = 'partner_contacts' order by 1",
    )
    assert [r[0] for r in rows] == ["P-1", "P-2"]
    carol = dict(rows)["P-1"]
    # Carol's till receipt carries the same email: one customer across both sources.
    sources = _query(
        with_partner,
        f"select distinct source from marts.customer_identity_map where unified_customer_id = '{carol}' order by 1",
    )
    assert [s for (s,) in sources] == ["email_engagement", "partner_contacts", "pos_orders"]


def test_the_golden_profile_takes_the_new_sources_fields(with_partner):
    profile = _query(
        with_partner,
        "select c.first_name, c.phone, d.phone_hash, d.source_count from marts.customer_identity_map m "
        "join restricted.pii.customer_contacts c using (unified_customer_id) "
        "join marts.dim_customers d using (unified_customer_id) "
        "where m.source = 'partner_contacts' order by m.source_record_id",
    )
    carol, erin = profile
    assert carol[:3] == ("Carol", "+447700900123", salted("+447700900123"))
    assert carol[3] == 3
    assert erin[0] == "Erin" and erin[1] is None


def test_the_generated_lineage_declares_the_new_source(with_partner):
    from customer_platform.dbt_registry import registry_dir

    sources = (registry_dir(with_partner) / "staging" / "_silver__sources.yml").read_text()
    assert "name: partner_contacts" in sources


@pytest.fixture(scope="module")
def without_events(environment):
    """Only the CRM and the web shop are active; silver still holds every planted table."""
    from customer_platform.warehouse import dbt_build

    patch, root = environment
    settings = _settings_for(patch, root, "two-sources", "crm_customers,web_orders")
    dbt_build(LOGICAL_DATE.isoformat())
    return settings


def test_a_removed_source_is_gone_from_every_model(without_events):
    sources = {
        s for (s,) in _query(without_events, "select distinct source from marts.customer_identity_map")
    }
    assert sources == {"crm_customers", "web_orders"}
    for table in ("stg_web_events", "stg_email_events", "stg_enrichments"):
        table = f"restricted.staging.{table}"
        assert _query(without_events, f"select count(*) from {table}") == [(0,)], table
    channels = {c for (c,) in _query(without_events, "select distinct channel from marts.fct_orders")}
    assert channels == {"web"}
    # Absent dimensions are null, not fake zeros: no web source, so no sessions; no demographics.
    assert _query(
        without_events,
        "select count(sessions), count(email_open_rate), max(has_demographics), count(recency_days) > 0 "
        "from marts.customer_features",
    ) == [(0, 0, 0, True)]


def test_a_removed_source_is_gone_from_the_lineage(without_events):
    from customer_platform.warehouse import dbt_target_dir

    manifest = json.loads((dbt_target_dir(without_events) / "manifest.json").read_text())
    silver = {s["name"] for s in manifest["sources"].values() if s["source_name"] == "silver"}
    assert silver == {"crm_customers", "web_order_lines"}
    assert not [n for n in manifest["nodes"] if "pos_orders" in n or "web_events__" in n]
