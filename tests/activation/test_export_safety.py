"""Nothing leaves the platform as a runnable spreadsheet formula or as live markup."""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

import activation.exports as exports
import activation.webhook as webhook
from activation.run import activate_audiences
from customer_platform.text_safety import FORMULA_START, is_unsafe, neutralise
from tests.activation.conftest import DAY, WIN_BACK, write_audience
from tests.activation.test_webhook import FlakyReceiver

ATTACKS = {"=1+2": "'=1+2", "<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;"}


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ('=HYPERLINK("http://x","<b>y</b>")', '\'=HYPERLINK("http://x","&lt;b&gt;y&lt;/b&gt;")'),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("JavaScript:alert(1)", "javascript-alert(1)"),
        ("+447700900123", "+447700900123"),  # E.164 stays a valid phone number
        ("+44 7700 900123", "'+44 7700 900123"),
        ("O'Brien & Sons", "O'Brien & Sons"),
        ("Ann-Marie", "Ann-Marie"),
        ("3 < 4", "3 < 4"),  # a comparison in text is not a tag
    ],
)
def test_neutralise_makes_formulas_and_markup_inert(value, exported):
    assert neutralise(value) == exported
    assert neutralise(exported) == exported, "neutralising twice changes nothing"
    assert not is_unsafe(exported)


def _hostile_contacts(monkeypatch, module) -> None:
    """The first two contacts' first names become the attacks (wherever contacts are stored)."""
    original = exports.contact_rows

    def contact_rows(con, customers, channel):
        rows = original(con, customers, channel).copy()
        rows.loc[rows.index[:2], "first_name"] = list(ATTACKS)
        return rows

    monkeypatch.setattr(module, "contact_rows", contact_rows)


def test_a_csv_export_holds_no_formula_and_no_markup(activation_env, monkeypatch):
    settings, _, _ = activation_env
    _hostile_contacts(monkeypatch, exports)

    activate_audiences(DAY.isoformat())

    folder = settings.exports_dir / "win_back" / DAY.isoformat()
    raw = (folder / "members.csv").read_text(encoding="utf-8")
    assert "<script" not in raw and "=1+2" in raw
    with (folder / "members.csv").open(encoding="utf-8", newline="") as handle:
        cells = [cell for record in list(csv.reader(handle))[1:] for cell in record]
    assert not [c for c in cells if c.startswith(FORMULA_START)], "no cell a spreadsheet would evaluate"
    names = pd.read_csv(folder / "members.csv", dtype=str)["first_name"]
    assert list(names[:2]) == list(ATTACKS.values())
    assert list(pd.read_parquet(folder / "members.parquet")["first_name"][:2]) == list(ATTACKS.values())
    assert json.loads((folder / "manifest.json").read_text())["values_neutralised"] == 2


def test_export_files_keep_e164_phones_and_neutralise_other_text(tmp_path):
    con = duckdb.connect()
    rows = con.execute(
        "select * from (values ('U1', '+447700900123', '-Smith'), ('U2', '+44 (0)7700', '@home')) "
        "as t(unified_customer_id, phone, first_name)"
    ).df()
    manifest = exports.write_export_files(tmp_path, "a", "v1", "sms", dt.date(2026, 6, 10), rows)
    written = pd.read_csv(tmp_path / "a" / "2026-06-10" / "members.csv", dtype=str)
    assert written.to_dict("records") == [
        {"unified_customer_id": "U1", "phone": "+447700900123", "first_name": "'-Smith"},
        {"unified_customer_id": "U2", "phone": "'+44 (0)7700", "first_name": "'@home"},
    ]
    assert manifest["values_neutralised"] == 3


def test_webhook_payloads_carry_neutralised_text(activation_env, monkeypatch):
    _, _, audiences = activation_env
    _hostile_contacts(monkeypatch, webhook)
    server = FlakyReceiver()
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv("CDP_WEBHOOK_CRM_URL", server.url)
    write_audience(audiences, "win_back", WIN_BACK.replace(
        "- {type: file}", "- {type: webhook, name: crm, url_env: CDP_WEBHOOK_CRM_URL, batch_size: 25}"))  # fmt: skip
    try:
        (export,) = activate_audiences(DAY.isoformat())["exports"]
    finally:
        server.server.shutdown()
    assert export["status"] == "ok"
    names = [m["first_name"] for b in server.accepted for m in b["members"]]
    assert set(ATTACKS.values()) <= set(names)
    assert not [n for n in names if n and (n.startswith(FORMULA_START) or "<" in n)]
