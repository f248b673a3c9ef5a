"""`cdp onboard` drafts a valid contract from a sample; `cdp contracts validate` names every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cdp import cli
from cdp.contract_draft import build_contract
from cdp.onboarding import guess_entity, infer_type, read_sample
from customer_platform.config import SHIPPED_CONTRACTS_DIR
from customer_platform.contract_parser import parse_contract

EXAMPLES = Path(__file__).resolve().parents[2] / "spark_jobs" / "examples"


def test_the_invoice_sample_gets_an_order_line_draft_with_its_idioms():
    sample = read_sample(EXAMPLES / "invoice_lines.csv")
    roles = {c.header: c.role for c in sample.columns if c.role}
    assert roles == {
        "InvoiceNo": "order_id",
        "StockCode": "sku",
        "Quantity": "quantity",
        "InvoiceDate": "ordered_at",
        "UnitPrice": "unit_price",
        "CustomerID": "customer_id",
    }
    assert guess_entity(sample) == "order_line"
    types = {c.header: (c.type, c.formats) for c in sample.columns}
    assert types["InvoiceDate"] == ("timestamp", ["M/d/yyyy H:mm"])
    assert types["CustomerID"] == ("string", [])  # an id, though "17850.0" reads as a number
    contract = parse_contract(build_contract(sample, "retail_invoices", "order_line"))
    assert (
        contract.measures["is_cancelled"] == "is_cancelled"
        and contract.measures["is_returned"] == "is_returned"
    )
    assert contract.duplicates == "collapse" and "invoice_no" in contract.natural_key
    assert contract.example, "a draft stays inactive until named in CDP_SOURCES"
    notes = " | ".join(sample.notes)
    assert "ambiguous" in notes and "start with 'C'" in notes and "17850.0" in notes


def test_a_shop_customer_export_gets_identifiers_and_a_latest_version(tmp_path):
    sample = read_sample(EXAMPLES / "shop" / "customers.csv")
    assert guess_entity(sample) == "customer_record"
    contract = parse_contract(build_contract(sample, "shop_crm", "customer_record"))
    assert {i.column: i.type for i in contract.identifiers} == {
        "customer_id": "customer_id",
        "email": "email",
        "first_name": "first_name",
        "last_name": "last_name",
        "zip_code": "postcode",
        "city": "city",
    }
    assert contract.record_id == "customer_id" and contract.latest_by == "updated_at"
    assert "email_hash" in contract.silver_names


def test_semicolons_and_windows_1252_are_sniffed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Kunde;E-Mail;Stadt;Umsatz\n1;a@example.de;Köln;12,5\n2;b@example.de;Zürich;3\n".encode("cp1252")
    )
    sample = read_sample(path)
    assert (sample.encoding, sample.delimiter) == ("cp1252", ";")
    assert any("Windows-1252" in note for note in sample.notes)
    assert {c.header: c.role for c in sample.columns}["E-Mail"] == "email"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "22", "-3"], ("int", [])),
        (["007", "12"], ("string", [])),
        (["1.5", "2"], ("double", [])),
        (["2024-01-05 14:12:00"], ("timestamp", ["yyyy-MM-dd HH:mm:ss"])),
        (["2026-06-01T10:00:00Z"], ("timestamp", [])),
        (["31/12/2024"], ("date", ["d/M/yyyy"])),
        (["yes", "No"], ("boolean", [])),
    ],
)
def test_types_and_formats_are_inferred_from_values(values, expected):
    assert infer_type(values)[:2] == expected


def test_validate_names_every_mistake_of_a_contract(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        yaml.safe_dump(
            {
                "name": "bad",
                "entity": "order_line",
                "natural_key": ["nope"],
                "fields": [{"name": "a", "type": "strng"}],
                "silver": {"table": "bad", "columns": [{"a": "shout"}]},
                "duplicates": "sometimes",
            }
        )
    )
    assert cli.main(["contracts", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    for mistake in ("type 'strng'", "std 'shout'", "duplicates 'sometimes'"):
        assert mistake in out, out
    assert "0 of 1 contracts valid" in out


def test_validate_accepts_the_shipped_contracts(capsys):
    assert cli.main(["contracts", "validate"]) == 0
    shipped = len(list(SHIPPED_CONTRACTS_DIR.glob("*.yml")))
    assert f"{shipped} of {shipped} contracts valid" in capsys.readouterr().out


def test_onboard_refuses_a_bad_name_and_an_unknown_entity(capsys):
    assert cli.main(["onboard", str(EXAMPLES / "invoice_lines.csv"), "--name", "Bad-Name"]) == 2
    assert "--name 'Bad-Name'" in capsys.readouterr().err
    assert (
        cli.main(["onboard", str(EXAMPLES / "invoice_lines.csv"), "--name", "x", "--entity", "invoice"]) == 2
    )
    assert "--entity 'invoice' is not one of" in capsys.readouterr().err


@pytest.mark.spark
def test_onboard_writes_validates_and_dry_runs_a_draft(
    isolated_settings, tmp_path, monkeypatch, capsys, spark
):
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    monkeypatch.setenv("CDP_CONTRACTS_DIR", str(contracts))
    from customer_platform.config import reload_settings

    reload_settings()
    sample = tmp_path / "export.csv"
    lines = (EXAMPLES / "invoice_lines.csv").read_text().splitlines()
    lines.append("536999,22633,HAND WARMER,3,not a date,1.85,17850,United Kingdom")  # line 18 of the file
    sample.write_text("\n".join(lines) + "\n")
    assert cli.main(["onboard", str(sample), "--name", "retail_invoices"]) == 0
    out = capsys.readouterr().out
    assert (contracts / "retail_invoices.yml").is_file() and "the draft is valid" in out
    assert "dry run: 17 rows read, 16 kept, 1 quarantined, 15 in silver" in out
    assert "quarantined 1: unparseable timestamp in invoice_date" in out and "(e.g. lines 18)" in out
    assert "not a date" not in out.split("dry run:")[1], "values of the sample are never printed"
    # Nothing reached the deployment's lakehouse; a second onboard refuses to overwrite.
    assert not isolated_settings.lakehouse_dir.exists()
    assert cli.main(["onboard", str(sample), "--name", "retail_invoices", "--no-dry-run"]) == 1


def test_a_shop_dump_onboards_as_three_contracts_with_related_payments(tmp_path, capsys):
    from customer_platform.config import reload_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_CONTRACTS_DIR", str(tmp_path))
        reload_settings()
        shop = EXAMPLES / "shop"
        assert cli.main(["onboard", str(shop / "payments.csv"), "--name", "my_payments", "--no-dry-run"]) == 0
        assert cli.main(["onboard", str(shop / "orders.csv"), "--name", "my_orders", "--no-dry-run"]) == 1
        assert (
            "--relation payments=SOURCE" in capsys.readouterr().out
        )  # an order needs its amount from somewhere
        argv = ["onboard", str(shop / "orders.csv"), "--name", "my_orders", "--no-dry-run", "--force"]
        assert cli.main([*argv, "--relation", "payments=my_payments"]) == 0
        payments = parse_contract(yaml.safe_load((tmp_path / "my_payments.yml").read_text()))
        assert payments.natural_key == ("order_id", "payment_sequential"), "split payments are two rows"
        assert cli.main(["contracts", "validate"]) == 0
        with pytest.raises(SystemExit) as refused:
            cli.main(["onboard", str(shop / "orders.csv"), "--name", "x", "--relation", "payments"])
        assert refused.value.code == 2 and "expected ROLE=SOURCE" in capsys.readouterr().err
    reload_settings()  # after the environment is restored: later tests see the shipped contracts
