"""bench.segment_quality: customers mapped to planted archetypes through the identity graph."""

from __future__ import annotations

import json

import duckdb
import pytest
from sklearn.metrics import adjusted_rand_score

from bench.segment_quality import main, segmentation_ari

# (unified id, segment id, segment name, kind, orders in the window or None without a feature
# row, [(source, record id)]) and the truth of each record.
CUSTOMERS = [
    ("U1", 0, "Regulars", "ml", 5, [("crm_customers", "C1"), ("web_orders", "W1")]),
    ("U2", 0, "Regulars", "ml", 3, [("crm_customers", "C2")]),
    ("U3", 1, "Browsers", "ml", 1, [("crm_customers", "C3"), ("pos_orders", "P1"), ("pos_orders", "P2")]),
    ("U4", 1, "Browsers", "ml", 0, [("web_events", "K1")]),  # an anonymous cookie only
    ("U5", 1, "Browsers", "ml", 2, [("pos_orders", "P9")]),  # a record the truth does not know
    ("U6", 1, "Browsers", "ml", 1, [("crm_customers", "C6"), ("email_engagement", "S6")]),  # a tie
    ("U7", -2, "Prospects", "lifecycle", None, [("crm_customers", "C7")]),  # known, never ordered
]
TRUTH = {
    ("crm_customers", "C1"): "PER1",
    ("web_orders", "W1"): "PER1",
    ("crm_customers", "C2"): "PER2",
    ("crm_customers", "C3"): "PER3",
    ("pos_orders", "P1"): "PER4",  # two of U3's three records: PER4 is its person
    ("pos_orders", "P2"): "PER4",
    ("web_events", "K1"): "PER1",
    ("crm_customers", "C6"): "PER5",
    ("email_engagement", "S6"): "PER2",  # one each: the smaller person id, PER2, wins
    ("crm_customers", "C7"): "PER6",
}
ARCHETYPES = {
    "PER1": "champion",
    "PER2": "champion",
    "PER3": "lapsing",
    "PER4": "window_shopper",
    "PER5": "lapsing",
    "PER6": "lapsing",
}


@pytest.fixture()
def tiny_data_dir(tmp_path):
    """A data dir with a hand-made warehouse (segments + identity map) and truth files."""
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_segments "
            "(unified_customer_id varchar, segment_id integer, segment_name varchar, segment_kind varchar)"
        )
        con.execute("create table marts.customer_features (unified_customer_id varchar, frequency integer)")
        con.execute(
            "create table marts.customer_identity_map "
            "(source varchar, source_record_id varchar, unified_customer_id varchar)"
        )
        for customer, segment, name, kind, orders, records in CUSTOMERS:
            con.execute(
                "insert into marts.customer_segments values (?, ?, ?, ?)", [customer, segment, name, kind]
            )
            if orders is not None:
                con.execute("insert into marts.customer_features values (?, ?)", [customer, orders])
            con.executemany(
                "insert into marts.customer_identity_map values (?, ?, ?)",
                [(source, record, customer) for source, record in records],
            )
    finally:
        con.close()
    truth = tmp_path / "landing" / "_truth"
    truth.mkdir(parents=True)
    identities = "".join(f"{s},{r},{p}\n" for (s, r), p in TRUTH.items())
    (truth / "identities.csv").write_text("source,source_record_id,person_id\n" + identities)
    persons = "".join(f"{p},{a},x\n" for p, a in ARCHETYPES.items())
    (truth / "persons.csv").write_text("person_id,archetype,first_name\n" + persons)
    return tmp_path


def test_ari_over_customers_with_an_identifying_record(tiny_data_dir):
    quality = segmentation_ari(
        tiny_data_dir / "warehouse" / "warehouse.duckdb", tiny_data_dir / "landing" / "_truth"
    )
    # known buyers: U1 PER1, U2 PER2, U3 PER4, U6 PER2 (U4 cookie only, U5 unknown, U7 no orders)
    buyers = adjusted_rand_score(["champion", "champion", "window_shopper", "champion"], [0, 0, 1, 1])
    assert quality["ari_known_buyers"] == pytest.approx(buyers, abs=1e-6) and quality["known_buyers"] == 4
    # evaluated: the buyers and U7 PER6
    expected = adjusted_rand_score(
        ["champion", "champion", "window_shopper", "champion", "lapsing"], [0, 0, 1, 1, -2]
    )
    assert quality["ari"] == pytest.approx(expected, abs=1e-6)
    with_cookie = adjusted_rand_score(
        ["champion", "champion", "window_shopper", "champion", "champion", "lapsing"], [0, 0, 1, 1, 1, 2]
    )
    assert quality["ari_all_matched"] == pytest.approx(with_cookie, abs=1e-6)
    assert quality["customers_scored"] == 7
    assert quality["customers_matched"] == 6 and quality["customers_evaluated"] == 5
    assert quality["excluded_not_in_truth"] == 1 and quality["excluded_anonymous_cookie_only"] == 1
    assert quality["persons_evaluated"] == 4 and quality["segments"] == 3
    assert quality["contingency"]["Browsers"] == {"champion": 1, "window_shopper": 1}
    assert quality["ml_segments"] == 2
    assert quality["ml_segment_anonymous_share"] == {"Browsers": 0.25, "Regulars": 0.0}  # U4 of four
    assert quality["max_ml_segment_anonymous_share"] == 0.25


def test_main_prints_json_for_a_data_dir(tiny_data_dir, capsys, monkeypatch):
    monkeypatch.setenv("CDP_DATA_DIR", str(tiny_data_dir))  # restored after the test
    assert main(["--data-dir", str(tiny_data_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["customers_evaluated"] == 5
    assert printed["warehouse"].endswith("warehouse.duckdb")


def test_a_person_who_left_long_before_the_end_counts_as_lapsing(tiny_data_dir):
    truth = tiny_data_dir / "landing" / "_truth"
    (truth / "planted.json").write_text(json.dumps({"end": "2026-06-30"}))
    dropouts = {"PER1": "2025-12-01", "PER2": "2026-06-01", "PER4": ""}  # 211 days, 29 days, never
    rows = "".join(f"{p},{a},x,{dropouts.get(p, '')}\n" for p, a in ARCHETYPES.items())
    (truth / "persons.csv").write_text("person_id,archetype,first_name,dropout_date\n" + rows)
    quality = segmentation_ari(tiny_data_dir / "warehouse" / "warehouse.duckdb", truth)
    # U1 is PER1 (left 211 days before the end: lapsing); U2 and U6 are PER2 (left 29 days before: champion)
    buyers = adjusted_rand_score(["lapsing", "champion", "window_shopper", "champion"], [0, 0, 1, 1])
    assert quality["ari_known_buyers"] == pytest.approx(buyers, abs=1e-6)
    assert quality["contingency"]["Regulars"] == {"champion": 1, "lapsing": 1, "window_shopper": 0}


def test_missing_truth_is_a_named_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="ground truth"):
        segmentation_ari(tmp_path / "w.duckdb", tmp_path)
