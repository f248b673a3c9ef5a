"""Audience membership: consent, suppression, holdouts, history and exports, and erasure reaching them."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json

import duckdb
import pandas as pd

from activation.holdout import assign_holdout
from activation.run import activate_audiences
from customer_platform.identifiers import sha256
from customer_platform.pii_cipher import encrypt_value
from privacy.exports import purge_exports
from privacy.targets import ErasureTargets
from privacy.warehouse_purge import purge_warehouse
from tests.activation.conftest import DAY, WIN_BACK, write_audience


def _rows(settings, sql: str, params=()) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def _expected_members(people: pd.DataFrame) -> set[str]:
    rule = people["churn_risk_band"].isin(["high", "medium"]) & (people["clv_decile"] >= 5)
    reachable = (
        people["has_marketing_consent"] & people["email"].notna() & (people["email_unsubscribes"] == 0)
    )
    return set(people.loc[rule & reachable, "unified_customer_id"])


def test_members_have_consent_an_email_and_no_unsubscribe(activation_env):
    settings, people, _ = activation_env
    summary = activate_audiences(DAY.isoformat())
    members = _rows(settings, "select * from marts.audience_members")
    assert set(members["unified_customer_id"]) == _expected_members(people)
    counts = summary["audiences"]["win_back"]
    assert counts["members"] == len(members) and counts["matched"] > counts["members"]
    assert counts["entered"] == len(members) and counts["exited"] == 0
    assert set(counts["balance"]) == {"segment_name", "rfm_segment"}


def test_holdouts_are_stable_never_exported_and_the_export_reads_pii(activation_env):
    settings, people, _ = activation_env
    activate_audiences(DAY.isoformat())
    members = _rows(settings, "select * from marts.audience_members order by 2")
    expected = assign_holdout("win_back", members["unified_customer_id"], 0.2, settings.hash_salt)
    assert (members["is_holdout"].to_numpy() == expected).all()
    assert 0.1 < members["is_holdout"].mean() < 0.3
    folder = settings.exports_dir / "win_back" / DAY.isoformat()
    exported = pd.read_csv(folder / "members.csv")
    treatment = members.loc[~members["is_holdout"], "unified_customer_id"]
    assert list(exported.columns) == ["unified_customer_id", "email", "first_name"]
    assert set(exported["unified_customer_id"]) == set(treatment)
    emails = people.set_index("unified_customer_id").loc[exported["unified_customer_id"], "email"]
    assert list(exported["email"]) == list(emails)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "members.parquet"), exported, check_dtype=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"] == len(exported) and manifest["channel"] == "email"
    audit = [
        json.loads(line)
        for line in (settings.exports_dir / "_audit" / "exports.jsonl").read_text().splitlines()
    ]
    assert audit[-1]["rows_exported"] == len(exported) and audit[-1]["status"] == "ok"
    assert "@" not in json.dumps(audit), "the audit line carries no contact data"


def test_rerunning_a_date_writes_the_same_rows_and_files(activation_env):
    settings, _, _ = activation_env
    activate_audiences(DAY.isoformat())
    history_a = _rows(settings, "select * from marts.audience_membership_history order by all")
    file = settings.exports_dir / "win_back" / DAY.isoformat() / "members.csv"
    first = file.read_bytes()
    activate_audiences(DAY.isoformat())
    history_b = _rows(settings, "select * from marts.audience_membership_history order by all")
    pd.testing.assert_frame_equal(history_a, history_b)
    assert file.read_bytes() == first
    assert (history_a["change"] == "entered").all()


def test_changes_are_recorded_per_date_and_an_ended_audience_exits_everyone(activation_env):
    settings, _, audiences = activation_env
    activate_audiences(DAY.isoformat())
    before = set(
        _rows(settings, "select unified_customer_id from marts.audience_members")["unified_customer_id"]
    )
    with duckdb.connect(str(settings.warehouse_path)) as con:  # five members' risk drops
        con.execute(
            "update marts.customer_predictions set churn_risk_band = 'low' where unified_customer_id in "
            "(select unified_customer_id from marts.audience_members order by 1 limit 5)"
        )
    next_day = DAY + dt.timedelta(days=1)
    summary = activate_audiences(next_day.isoformat())
    assert summary["audiences"]["win_back"]["exited"] == 5
    exited = _rows(
        settings, "select * from marts.audience_membership_history where logical_date = ?", [next_day]
    )
    assert set(exited["change"]) == {"exited"} and set(exited["unified_customer_id"]) <= before
    write_audience(audiences, "win_back", WIN_BACK + f"    end_date: {next_day.isoformat()}\n")
    last = next_day + dt.timedelta(days=1)
    activate_audiences(last.isoformat())
    assert _rows(settings, "select count(*) as n from marts.audience_members")["n"][0] == 0
    gone = _rows(
        settings, "select count(*) as n from marts.audience_membership_history where logical_date = ?", [last]
    )
    assert gone["n"][0] == len(before) - 5


def test_erasure_reaches_members_history_and_export_files_and_suppression_keeps_them_out(activation_env):
    settings, people, _ = activation_env
    activate_audiences(DAY.isoformat())
    members = _rows(settings, "select * from marts.audience_members where not is_holdout order by 2")
    person = members["unified_customer_id"].iloc[0]
    email = people.set_index("unified_customer_id").loc[person, "email"]
    export = settings.exports_dir / "win_back" / DAY.isoformat()
    assert email in (export / "members.csv").read_text()
    targets = ErasureTargets("test-erasure", unified_customer_ids=[person])
    removed = purge_exports(targets)["exports"]
    assert removed == {"win_back/2026-06-10/members.csv": 1, "win_back/2026-06-10/members.parquet": 1}
    counts = purge_warehouse([person], [], settings.hash_salt)
    assert counts["marts.audience_members"] == 1 and counts["marts.audience_membership_history"] == 1
    assert email not in (export / "members.csv").read_text()
    assert person not in set(pd.read_parquet(export / "members.parquet")["unified_customer_id"])
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["rows"] == len(members) - 1
    # Their data comes back (a late delivery): the suppression list keeps them out.
    settings.suppression_path.parent.mkdir(parents=True, exist_ok=True)
    with settings.suppression_path.open("w", newline="") as handle:
        csv.writer(handle).writerows([["email_hash"], [sha256("salt" + email)]])
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(f"attach '{settings.restricted_path}' as restricted")
        con.execute(
            "insert into restricted.pii.customer_contacts values "
            "(?, ?, null, 'Back', 'Again', null, null, sha256('salt' || ?), null, true)",
            [person, encrypt_value(email, settings.pii_key), email],
        )
        con.execute("insert into marts.dim_customers values (?, true, true, false, 'GB')", [person])
        con.execute("insert into marts.customer_predictions values (?, 0.9, 'high', 10)", [person])
    summary = activate_audiences((DAY + dt.timedelta(days=1)).isoformat())
    assert summary["suppressed_customers_excluded"] == 1
    again = _rows(settings, "select unified_customer_id from marts.audience_members")
    assert person not in set(again["unified_customer_id"])
    assert email not in (settings.exports_dir / "win_back" / "2026-06-11" / "members.csv").read_text()


def test_ads_exports_carry_sha256_match_keys_only(activation_env):
    settings, people, audiences = activation_env
    write_audience(audiences, "win_back", WIN_BACK.replace("channel: email", "channel: ads"))
    activate_audiences(DAY.isoformat())
    exported = pd.read_csv(settings.exports_dir / "win_back" / DAY.isoformat() / "members.csv")
    assert list(exported.columns) == ["email_sha256", "phone_sha256"]
    members = _rows(settings, "select unified_customer_id from marts.audience_members where not is_holdout")
    emails = people.set_index("unified_customer_id").loc[members["unified_customer_id"], "email"].dropna()
    assert set(exported["email_sha256"].dropna()) == {sha256(e.strip().lower()) for e in emails}


def test_an_audience_on_a_mart_not_built_yet_is_skipped_with_the_reason(activation_env):
    settings, _, audiences = activation_env
    write_audience(audiences, "engaged", WIN_BACK.replace("name: win_back", "name: engaged").replace(
        "clv_decile: {gte: 5}", "engagement_score: {gte: 5}"))  # fmt: skip
    summary = activate_audiences(DAY.isoformat())
    assert "marts.customer_engagement" in summary["skipped"]["engaged"]
    assert "win_back" in summary["audiences"]


def test_settings_dataclass_names_the_activation_folders(activation_env):
    settings, _, audiences = activation_env
    names = {f.name for f in dataclasses.fields(settings)}
    assert {"audiences_dir", "action_rules_dir", "exports_dir"} <= names
    assert settings.audiences_dir == audiences.resolve()
