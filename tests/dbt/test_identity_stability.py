"""Unified ids survive new data; rebuilding a date reproduces the same marts."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.dbt.silver_fixture import LATE_DROP, LOGICAL_DATE

SNAPSHOT_SQL = {
    "identity_map": "select * from marts.customer_identity_map order by record_key",
    "rfm": "select * from marts.customer_rfm order by unified_customer_id",
    "features": "select * from marts.customer_features order by unified_customer_id",
    # `_built_in` names the build that last wrote a row: a rebuild differs there by design.
    "contacts": "select * exclude (_built_in) from restricted.pii.customer_contacts order by unified_customer_id",
}


def _snapshot() -> dict[str, pd.DataFrame]:
    from customer_platform.restricted import attach_restricted, decrypt_contact_columns
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        attach_restricted(con, read_only=True)
        snapshot = {name: con.execute(sql).df() for name, sql in SNAPSHOT_SQL.items()}
    finally:
        con.close()
    # Contact values are encrypted with a fresh nonce each build: compare what they hold.
    snapshot["contacts"] = decrypt_contact_columns(snapshot["contacts"])
    return snapshot


@pytest.fixture(scope="module")
def builds(built_warehouse, planted):
    """Marts of the package build, for a later date with new records, then the first date again.

    Ends with the warehouse rebuilt for LOGICAL_DATE, the state the other modules expect.
    """
    from customer_platform.warehouse import run_dbt

    snapshots = {"first": _snapshot()}
    for label, day in (("later", LATE_DROP), ("again", LOGICAL_DATE)):
        run_dbt(["run"], day.isoformat())
        snapshots[label] = _snapshot()
    return snapshots


def test_existing_records_keep_their_unified_id(builds):
    first = builds["first"]["identity_map"].set_index("record_key")["unified_customer_id"]
    later = builds["later"]["identity_map"].set_index("record_key")["unified_customer_id"]
    assert len(later) > len(first)
    pd.testing.assert_series_equal(later.loc[first.index], first)


def test_new_records_join_the_existing_customer(builds, planted):
    late_orders = {r["order_id"] for r in planted.rows["web_order_lines"] if r["ingest_date"] == LATE_DROP}
    later = builds["later"]["identity_map"].set_index("record_key")["unified_customer_id"]
    bob = later.loc["crm_customers:C0000002"]
    assert {later.loc[f"web_orders:{order}"] for order in late_orders} == {bob}
    contacts = builds["later"]["contacts"].set_index("unified_customer_id")
    assert contacts.loc[bob, "email"] == "bob@late.example"  # the newer CRM version now counts


def test_rebuilding_a_date_reproduces_the_marts(builds):
    for name in SNAPSHOT_SQL:
        pd.testing.assert_frame_equal(builds["again"][name], builds["first"][name], obj=name)


def test_identity_status_counts_and_relink_reproduces_the_partition(builds, capsys):
    """`cdp identity status` counts the last build; `relink` re-links every profile to the same customers."""
    import argparse
    import json

    from cdp.identity_command import cmd_identity_relink, identity_status

    day = LOGICAL_DATE.isoformat()
    before = identity_status(day)
    assert before["profiles"] > 0 and before["unified_customers"] > 0
    assert before["profiles_relinked_in_last_build"] < before["profiles"], (
        "the last build carried profiles over"
    )
    # One source declares the matching attributes here: the kept model holds no attribute model.
    assert before["match_model"] == {
        "attributes": [],
        "trained": False,
        "trained_on_profiles": 0,
        "used": False,
    }

    assert cmd_identity_relink(argparse.Namespace(date=day, retrain=False)) == 0
    out = "\n" + capsys.readouterr().out  # dbt's own log lines come first
    printed = json.loads(out[out.rindex("\n{\n") + 1 :])
    assert printed["profiles_relinked_in_last_build"] == printed["profiles"] == before["profiles"]
    after = _snapshot()["identity_map"]
    pd.testing.assert_frame_equal(after, builds["again"]["identity_map"])
