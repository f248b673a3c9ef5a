"""CLI argument handling and contract loading (no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from datagen.generator import SOURCES
from spark_jobs.contracts import ContractError, bronze_schema, get_contract, get_registry, parse_contract
from spark_jobs.ingest import main


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--source", "nope", "--date", "2026-06-03"], "--source"),
        (["--source", "web_orders", "--date", "2026-13-01"], "--date"),
        (["--source", "web_orders", "--date", "yesterday"], "--date"),
        (["--source", "web_orders"], "--date"),
        (["--source", "web_orders", "--start", "2026-06-03", "--end", "2026-06-01"], "--end"),
        (["--date", "2026-06-03"], "--source"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(argv, named, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert named in capsys.readouterr().err


def test_every_configured_source_has_a_contract_with_its_documented_silver_table():
    tables = {name: c.silver_table for name, c in get_registry().contracts.items()}
    assert {s: tables[s] for s in SOURCES} == {
        "crm_customers": "crm_customers",
        "web_orders": "web_order_lines",
        "pos_orders": "pos_order_lines",
        "web_events": "web_events",
        "email_engagement": "email_events",
        "demographics": "demographics",
        "campaign_log": "campaign_members",
    }
    assert tables["invoice_lines"] == "invoice_lines"
    assert get_contract("pos_orders").timezone == "Europe/London"
    assert bronze_schema(get_contract("web_orders")).names[-5:] == [
        "_line_number",
        "_source_file",
        "_ingest_date",
        "_run_id",
        "_ingested_at",
    ]


def test_invalid_contracts_are_rejected_with_the_file_and_entry_named(tmp_path):
    good = yaml.safe_load((Path(get_contract("web_events").path)).read_text())
    bad_type = {**good, "fields": [*good["fields"], {"name": "x", "type": "decimal"}]}
    with pytest.raises(ContractError, match="'x'.*decimal"):
        parse_contract(bad_type, tmp_path / "bad.yml")
    bad_std = {**good, "silver": {**good["silver"], "columns": [{"event_id": "shout"}]}}
    with pytest.raises(ContractError, match="std 'shout' is not one of"):
        parse_contract(bad_std)
    bad_key = {**good, "natural_key": ["nope"]}
    with pytest.raises(ContractError, match="'nope'.*not a silver column"):
        parse_contract(bad_key)
