"""dbt build over the planted silver fixture: tests pass, identities, RFM, features, docs."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from customer_platform.config import REPO_ROOT
from tests.dbt.silver_fixture import FAMILY_EMAIL, FAMILY_PHONE, FAMILY_SIZE, LOGICAL_DATE

WINDOW_DAYS = 365
RFM_GRID = {  # (r_score, fm_score) -> segment, restated from the documented map
    5: ["New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
    3: ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"],
    1: ["Lost", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"],
}


def test_build_ran_every_data_and_unit_test(built_warehouse):
    statuses = defaultdict(int)
    for result in built_warehouse.run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        statuses[(kind, result["status"])] += 1
    assert statuses[("test", "pass")] >= 150, statuses
    assert statuses[("unit_test", "pass")] >= 3, statuses
    # Exposures (what leaves the warehouse) are part of the build's graph and report no-op.
    assert not [k for k in statuses if k[1] not in {"pass", "success"} and k != ("exposure", "no-op")], (
        statuses
    )


def test_schemas_are_exactly_the_contract_names(query):
    found = query("select distinct table_catalog, table_schema from information_schema.tables")
    by_catalog = found.groupby("table_catalog")["table_schema"].agg(set).to_dict()
    # The analysts' file holds the marts only; raw identifiers are in the restricted database.
    assert by_catalog == {"warehouse": {"marts"}, "restricted": {"staging", "intermediate", "pii"}}


def test_raw_contacts_are_outside_the_analysts_file_and_encrypted(built_warehouse, contacts):
    """The analysts' file holds no planted email; the restricted database is sealed at rest, owner-only."""
    from customer_platform.restricted_store import open_for_use, seal_restricted, sealed_path

    settings = built_warehouse.settings
    emails = sorted({e for e in contacts["email"].dropna() if "@" in e})
    assert emails, "the decrypted contacts hold the planted emails"
    assert not [e for e in emails if e.encode() in settings.warehouse_path.read_bytes()]
    con = duckdb.connect(str(settings.restricted_path), read_only=True)
    try:  # inside the restricted database the contact columns are encrypted per value too
        stored = con.execute("select email from pii.customer_contacts where email is not null").fetchall()
        staged = con.execute("select count(*) from staging.stg_customer_records").fetchall()[0][0]
    finally:
        con.close()
    assert stored and all(value.startswith("v1:") and "@" not in value for (value,) in stored)

    result = seal_restricted(settings)
    sealed = sealed_path(settings.restricted_path)
    assert result["sealed"] and sealed.is_file() and not settings.restricted_path.exists()
    assert not [e for e in emails if e.encode() in sealed.read_bytes()]
    assert oct(sealed.stat().st_mode & 0o777) == oct(0o600)
    assert oct(sealed.parent.stat().st_mode & 0o777) == oct(0o700)

    reopened = open_for_use(settings)  # unsealed again, as the next user of the database finds it
    con = duckdb.connect(str(reopened), read_only=True)
    try:
        assert con.execute("select count(*) from staging.stg_customer_records").fetchall()[0][0] == staged
    finally:
        con.close()


def test_a_wrong_key_cannot_read_the_contacts(contacts):
    from customer_platform.pii_cipher import PiiKeyError, decrypt_value, encrypt_value

    sealed = encrypt_value(contacts["email"].dropna().iloc[0], "the-configured-key-0123456789")
    with pytest.raises(PiiKeyError, match="CDP_PII_KEY does not decrypt"):
        decrypt_value(sealed, "another-key-0123456789abcdef")


def test_the_key_id_names_the_key_without_revealing_it():
    from customer_platform.pii_cipher import key_id

    key = "the-configured-key-0123456789"
    assert key_id(key) == key_id(key) and len(key_id(key)) == 16
    assert key_id(key) != key_id("another-key-0123456789abcdef")
    assert key_id(key) not in key.encode("utf-8").hex()


def test_identity_clusters_are_the_planted_persons(query, planted):
    identity_map = query(
        "select source, source_record_id, unified_customer_id from marts.customer_identity_map"
    )
    resolved = {(r.source, r.source_record_id): r.unified_customer_id for r in identity_map.itertuples()}
    assert set(resolved) == set(planted.truth)
    # Same person <=> same unified customer: the two partitions are identical.
    persons_per_customer = defaultdict(set)
    customers_per_person = defaultdict(set)
    for record, person in planted.truth.items():
        persons_per_customer[resolved[record]].add(person)
        customers_per_person[person].add(resolved[record])
    assert all(len(p) == 1 for p in persons_per_customer.values()), persons_per_customer
    assert all(len(c) == 1 for c in customers_per_person.values()), customers_per_person


def test_unified_id_comes_from_the_earliest_record(query):
    alice = query(
        "select distinct unified_customer_id from marts.customer_identity_map "
        "where source = 'pos_orders' and source_record_id = 'P00000001'"
    )["unified_customer_id"].item()
    # Alice's CRM contact (created 2024-03-01) is her earliest record.
    assert alice == "U" + hashlib.md5(b"crm_customers:C0000001").hexdigest()


def test_match_methods(query):
    methods = query(
        "select source_record_id, match_method, match_probability from marts.customer_identity_map"
    ).set_index("source_record_id")
    assert methods.loc["K-ANON", "match_method"] == "singleton"
    assert methods.loc["S0000099", "match_method"] == "singleton"  # family mailbox: not a link
    assert methods.loc["P00000004", "match_method"] == "deterministic"  # Carol: POS <-> email tool
    # Erin's second address shares no key with her CRM contact: a Splink match joins them.
    erin = methods.loc[["C0000005", "S0000005"]]
    assert (erin["match_method"] == "probabilistic").all()
    assert (erin["match_probability"] >= 0.95).all() and (erin["match_probability"] < 1).all()
    assert methods.loc["S0000006", "match_method"] == "singleton"  # erin.jones78: a near miss
    others = methods.drop(index=["C0000005", "S0000005"])
    assert (others["match_method"] != "probabilistic").all() and (others["match_probability"] == 1.0).all()


def test_overmerge_guard_reports_the_shared_keys(query):
    keys = query(
        "select key_type, key_value, crm_record_count from restricted.intermediate.int_identity_overmerge_keys"
    )
    assert sorted(zip(keys.key_type, keys.key_value, keys.crm_record_count, strict=True)) == [
        ("email", FAMILY_EMAIL, FAMILY_SIZE),
        ("phone", FAMILY_PHONE, FAMILY_SIZE),
    ]


def test_golden_record_survivorship(query, contacts):
    golden = query(
        "select c.unified_customer_id, c.crm_customer_id, c.has_marketing_consent, "
        "c.crm_record_count from marts.dim_customers c where c.crm_customer_id is not null"
    ).merge(
        contacts[["unified_customer_id", "email", "phone", "first_name", "city"]], on="unified_customer_id"
    )
    golden = golden.set_index("crm_customer_id")
    dave = golden.loc["C0000004"]  # two CRM contacts: the later one's name, the only city
    assert (dave.first_name, dave.city, dave.crm_record_count) == ("David", "York", 2)
    assert not dave.has_marketing_consent  # the latest CRM record says no
    assert dave.phone == "+447700900003"
    bob = golden.loc["C0000002"]  # latest version by ingest date; late drop ignored
    assert (bob.email, bob.first_name) == ("bob@new.example", "Bob")


def test_analyst_marts_carry_no_raw_contacts(query):
    every_column = query("select column_name from information_schema.columns where table_schema = 'marts'")
    raw = {"email", "phone", "first_name", "last_name", "postcode", "city", "birth_date", "street_address"}
    assert not set(every_column.column_name) & raw
    columns = query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type = 'VARCHAR'"
    )
    for table, group in columns.groupby("table_name"):
        checks = " or ".join(
            f"""contains("{c}", '@') or starts_with("{c}", '+44')""" for c in group.column_name
        )
        assert query(f"select count(*) as n from marts.{table} where {checks}")["n"].item() == 0, table


def test_the_analysts_get_the_birth_year_of_the_restricted_birth_date(query, contacts):
    years = query("select unified_customer_id, birth_year from marts.dim_customers").merge(
        contacts[["unified_customer_id", "birth_date", "city"]], on="unified_customer_id"
    )
    dated = years.dropna(subset=["birth_date"])
    assert len(dated) > 0 and dated["city"].notna().any()
    assert (dated["birth_year"] == dated["birth_date"].str[:4].astype(int)).all()
    assert years.loc[years["birth_date"].isna(), "birth_year"].isna().all()


def test_late_drop_is_not_used(query, contacts):
    orders = query("select order_id, order_date from marts.fct_orders")
    assert orders["order_date"].max() <= pd.Timestamp(LOGICAL_DATE)
    emails = contacts["email"]
    assert "bob@late.example" not in set(emails)


def _expected_rfm(planted, resolved: dict) -> pd.DataFrame:
    """RFM recomputed from the planted rows, independently of the SQL."""
    web_lines = {}
    for row in sorted(planted.rows["web_order_lines"], key=lambda r: r["ingest_date"]):
        if row["ingest_date"] <= LOGICAL_DATE:
            web_lines[(row["order_id"], row["line_number"])] = row  # later drops win
    orders = defaultdict(lambda: {"net": 0.0, "completed": True})
    for (order_id, _), row in web_lines.items():
        order = orders[("web_orders", order_id)]
        order["date"] = row["ordered_at"].date()
        order["completed"] = row["order_status"] == "completed"
        order["net"] += row["line_amount"] if row["order_status"] == "completed" else 0.0
    for row in planted.rows["pos_order_lines"]:
        order = orders[("pos_orders", row["transaction_id"])]
        order["date"] = row["transacted_at"].date()
        order["net"] += row["line_amount"]
    window_start = LOGICAL_DATE - timedelta(days=WINDOW_DAYS - 1)
    per_customer = defaultdict(lambda: {"last": None, "frequency": 0, "monetary": 0.0})
    for record, order in orders.items():
        if order["date"] > LOGICAL_DATE:
            continue
        customer = per_customer[resolved[record]]
        if order["date"] >= window_start:
            customer["monetary"] += order["net"]
            if order["completed"] and order["net"] > 0:
                customer["frequency"] += 1
                customer["last"] = max(customer["last"] or order["date"], order["date"])
    expected = pd.DataFrame(
        [
            {
                "unified_customer_id": cid,
                "recency_days": (LOGICAL_DATE - c["last"]).days if c["last"] else WINDOW_DAYS + 1,
                "frequency": c["frequency"],
                "monetary": round(max(c["monetary"], 0.0), 2),
            }
            for cid, c in per_customer.items()
        ]
    )

    def quintiles(order: pd.DataFrame) -> pd.Series:
        size, extra = divmod(len(order), 5)
        scores = [g + 1 for g in range(5) for _ in range(size + (1 if g < extra else 0))]
        return pd.Series(scores, index=order.index)

    by = "unified_customer_id"
    expected["r_score"] = quintiles(expected.sort_values(["recency_days", by], ascending=[False, True]))
    expected["f_score"] = quintiles(expected.sort_values(["frequency", by]))
    expected["m_score"] = quintiles(expected.sort_values(["monetary", by]))
    expected["rfm_segment"] = [
        RFM_GRID[r][(f + m + 1) // 2 - 1]
        for r, f, m in zip(expected.r_score, expected.f_score, expected.m_score, strict=True)
    ]
    return expected.sort_values(by).reset_index(drop=True)


def test_rfm_equals_an_independent_python_computation(query, planted):
    identity_map = query(
        "select source, source_record_id, unified_customer_id from marts.customer_identity_map"
    )
    resolved = {(r.source, r.source_record_id): r.unified_customer_id for r in identity_map.itertuples()}
    expected = _expected_rfm(planted, resolved)
    actual = query(
        "select unified_customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
        "rfm_segment from marts.customer_rfm order by unified_customer_id"
    )
    assert len(expected) >= 15
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, atol=0.01)
    # The fixture spreads customers over several segments (a map stuck on one name would fail).
    assert actual["rfm_segment"].nunique() >= 5


def _contract_feature_columns() -> list[tuple[str, str]]:
    """(column, type) rows of the customer_features table in docs/contracts.md."""
    text = (REPO_ROOT / "docs" / "contracts.md").read_text()
    section = text.split("### `marts.customer_features` columns", 1)[1].split("\n## ", 1)[0]
    columns = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            columns += [(name, cells[1]) for name in re.findall(r"`([a-z_]+)`", cells[0])]
    return columns


def test_features_have_exactly_the_contract_columns_and_no_nulls(query):
    contract = _contract_feature_columns()
    types = query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'customer_features' order by ordinal_position"
    )
    assert list(types.column_name) == [name for name, _ in contract]
    duckdb_type = {"varchar": "VARCHAR", "date": "DATE", "int": "INTEGER", "double": "DOUBLE"}
    for (name, kind), actual in zip(contract, types.data_type, strict=True):
        assert actual == duckdb_type[kind], (name, kind, actual)
    features = query("select * from marts.customer_features")
    assert features.notna().all().all(), features.columns[features.isna().any()].tolist()
    assert features["unified_customer_id"].is_unique


def test_features_cover_active_customers_only(query):
    active = query(
        "select unified_customer_id from marts.fct_orders union "
        "select m.unified_customer_id from marts.customer_identity_map m "
        "where m.source in ('web_events', 'email_engagement')"
    )
    features = query("select unified_customer_id from marts.customer_features")
    assert set(features.unified_customer_id) == set(active.unified_customer_id)
    # 27 family contacts without orders or events are customers, not feature rows.
    assert query("select count(*) as n from marts.dim_customers")["n"].item() > len(features) + 20


def test_engagement_and_features_of_alice(query):
    row = query(
        "select f.* from marts.customer_features f inner join marts.customer_identity_map m "
        "using (unified_customer_id) where m.source_record_id = 'C0000001'"
    ).iloc[0]
    # Two cookies: K-ALICE (2 sessions) and the shared computer she logs in on (4 sessions).
    assert (row.sessions, row.product_views, row.add_to_carts) == (6, 1, 1)
    assert (row.emails_sent, row.email_open_rate, row.email_click_rate) == (2, 0.5, 0.5)
    assert row.days_since_last_engagement == 2
    expected_score = 25 * 0.6 + 15 * (1 / 20) + 15 * (1 / 5) + 15 * 0.5 + 15 * 0.5 + 15 * (1 - 2 / 365)
    assert row.engagement_score == pytest.approx(expected_score, abs=0.01)
    # Web: one completed (2x25 apparel + 50 footwear), one returned, one cancelled; POS 40 + 10.
    assert (row.frequency, row.monetary, row.avg_order_value) == (2, 150.0, 75.0)
    assert row.return_rate == pytest.approx(2 / 6)
    assert (row.share_apparel, row.share_footwear, row.share_beauty, row.share_outlet) == pytest.approx(
        (50 / 150, 50 / 150, 40 / 150, 10 / 150)
    )
    assert (row.age_band_index, row.income_band_index, row.household_size) == (2, 2, 3)
    assert (row.has_children, row.is_urban, row.has_demographics, row.has_marketing_consent) == (1, 1, 1, 1)
    assert row.tenure_days == (LOGICAL_DATE - pd.Timestamp("2024-03-01").date()).days


def test_docs_generate(built_warehouse, capsys):
    from cdp.cli import main as cdp_main
    from customer_platform.warehouse import dbt_target_dir

    assert cdp_main(["docs"]) == 0
    target = dbt_target_dir(built_warehouse.settings)
    assert str(target / "static_index.html") in capsys.readouterr().out
    # The site: index.html (served) and static_index.html (manifest and catalog inlined).
    assert "<html" in (target / "index.html").read_text()[:2000].lower()
    static = (target / "static_index.html").read_text()
    assert "INLINE DATA" not in static and '"model.customer_platform.customer_rfm"' in static
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {"customer_features", "customer_rfm", "dim_customers", "customer_contacts"} <= documented
    manifest = json.loads((target / "manifest.json").read_text())
    # Lineage reaches the silver tables of the registry and the tables Python writes back.
    sources = set(manifest["sources"])
    assert {
        "source.customer_platform.silver.crm_customers",
        "source.customer_platform.segmentation.customer_segments",
        "source.customer_platform.data_quality.dq_results",
        "source.customer_platform.audit.erasure_requests",
    } <= sources
    exposure = manifest["exposures"]["exposure.customer_platform.customer_segmentation"]
    assert "source.customer_platform.segmentation.customer_segments" in exposure["depends_on"]["nodes"]
    assert exposure["owner"]["name"]
    descriptions = {
        (node["schema"], node["alias"]): {c: col["description"] for c, col in node["columns"].items()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    undocumented = [
        (node["metadata"]["name"], column)
        for node in catalog["nodes"].values()
        if node["metadata"]["schema"] in {"marts", "pii"}
        for column in node["columns"]
        if not (
            descriptions[(node["metadata"]["schema"], node["metadata"]["name"])].get(column) or ""
        ).strip()
    ]
    assert not undocumented
