"""Predictions scored against the generator's future (bench.prediction_quality), on hand-made frames.

Five customers, five persons: U1 holds two records of P1 and one of P2 (majority P1), U2 one
record each of P4 and P3 (a tie: the smaller id, P3), U3 a record of P5 and one outside the
truth, U4 one record of P2, U5 only records outside the truth. P1 and P3 made no order after
the end date (churned); the others did.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from bench.prediction_quality import main, majority_persons, prediction_quality

END = "2026-06-30"

RECORDS = pd.DataFrame(
    [
        ("U1", "P1"),
        ("U1", "P2"),
        ("U1", "P1"),
        ("U2", "P4"),
        ("U2", "P3"),
        ("U3", "P5"),
        ("U3", None),
        ("U4", "P2"),
        ("U5", None),
    ],
    columns=["unified_customer_id", "person_id"],
)
FUTURE = pd.DataFrame(
    [
        ("P1", 0, 0, 0.0, 0, 0.0),
        ("P2", 1, 3, 90.0, 9, 300.0),
        ("P3", 0, 0, 0.0, 0, 0.0),
        ("P4", 1, 5, 150.0, 20, 800.0),
        ("P5", 1, 1, 20.0, 2, 50.0),
    ],
    columns=["person_id", "alive_at_end", "orders_90d", "spend_90d", "orders_365d", "spend_365d"],
)
PERSONS = pd.DataFrame(
    {
        "person_id": ["P1", "P2", "P3", "P4", "P5"],
        "archetype": ["lapsing", "champion", "lapsing", "champion", "new_customer"],
    }
)


def _predictions(churn_probability: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unified_customer_id": ["U1", "U2", "U3", "U4", "U5"],
            "logical_date": pd.Timestamp(END),
            "churn_probability": churn_probability,
            "churn_risk_band": "medium",
            "is_at_risk": [True, False, True, False, False],
            "p_alive": [0.1, 0.2, 0.7, 0.9, 0.5],
            "expected_orders_90d": [0.5, 0.0, 1.0, 2.0, 1.0],
            "predicted_clv_12m": [10.0, 5.0, 60.0, 400.0, 30.0],
            "clv_decile": [2, 1, 4, 5, 3],
            "churn_model_version": 1,
            "churn_mlflow_run_id": "r1",
            "clv_model_version": 2,
            "clv_mlflow_run_id": "r2",
            "assigned_at": pd.Timestamp("2026-07-01 02:00"),
        }
    )


CHURNERS_FIRST = [0.9, 0.8, 0.3, 0.1, 0.5]


def test_each_customer_is_the_person_holding_most_of_its_records():
    mapped = majority_persons(RECORDS).set_index("unified_customer_id")
    assert mapped["person_id"].to_dict() == {"U1": "P1", "U2": "P3", "U3": "P5", "U4": "P2"}
    assert mapped["persons"].to_dict() == {"U1": 2, "U2": 2, "U3": 1, "U4": 1}
    assert mapped.loc["U1", "majority_records"] == 2
    # Pre-counted records weigh by their count, not by their rows.
    counted = pd.DataFrame(
        {"unified_customer_id": ["U1", "U1"], "person_id": ["P1", "P2"], "records": [2, 5]}
    )
    assert majority_persons(counted)["person_id"].tolist() == ["P2"]


def test_churn_is_scored_against_the_majority_persons_future():
    result = prediction_quality(_predictions(CHURNERS_FIRST), RECORDS, FUTURE, PERSONS)
    assert result["customers_predicted"] == 5
    assert result["customers_evaluated"] == 4
    assert result["customers_not_in_truth"] == 1  # U5
    churn = result["churn"]
    # U1 (P1) and U2 (P3) churned and carry the two highest probabilities; had U1 been scored
    # as P2 or U2 as P4, a non-churner would outrank a churner.
    assert churn["roc_auc"] == 1.0
    assert churn["pr_auc"] == 1.0
    assert churn["positive_rate"] == 0.5
    assert churn["at_risk"] == 2
    assert churn["at_risk_precision"] == 0.5 and churn["at_risk_recall"] == 0.5  # U1 caught, U3 not a churner
    reversed_order = prediction_quality(_predictions([0.1, 0.2, 0.8, 0.9, 0.5]), RECORDS, FUTURE, PERSONS)
    assert reversed_order["churn"]["roc_auc"] == 0.0


def test_merged_customers_are_flagged_ambiguous():
    result = prediction_quality(_predictions(CHURNERS_FIRST), RECORDS, FUTURE, PERSONS)
    assert (
        result["ambiguous_customers"] == 2
    )  # U1 (P1 + P2) and U2 (P3 + P4); U3's stray record is not a person
    unmerged = RECORDS[~RECORDS["person_id"].isin(["P2", "P4"]) | (RECORDS["unified_customer_id"] == "U4")]
    assert (
        prediction_quality(_predictions(CHURNERS_FIRST), unmerged, FUTURE, PERSONS)["ambiguous_customers"]
        == 0
    )


def test_value_orders_alive_and_archetypes_against_the_future():
    result = prediction_quality(_predictions(CHURNERS_FIRST), RECORDS, FUTURE, PERSONS)
    assert result["p_alive"]["roc_auc"] == 1.0  # P1 and P3 (dead) carry the two lowest P(alive)
    orders = result["expected_orders_90d"]
    assert orders["actual_total"] == 4.0 and orders["predicted_total"] == 3.5  # P2 (U4) 3 + P5 (U3) 1
    assert orders["mae"] == pytest.approx((0.5 + 0.0 + 0.0 + 1.0) / 4)
    value = result["value_12m"]
    assert value["normalized_gini"] == pytest.approx(1.0)  # value ranked in the order of actual spend
    assert value["actual_total"] == 350.0 and value["predicted_total"] == 475.0
    by_decile = {row["decile"]: row for row in value["deciles"]}
    assert by_decile[5]["relative_error"] == pytest.approx((400 - 300) / 300)
    assert by_decile[1]["relative_error"] is None  # nothing spent: no relative error
    assert by_decile[4]["relative_error"] == pytest.approx(0.2)
    assert value["max_abs_decile_relative_error"] == pytest.approx(1 / 3)
    archetypes = {row["archetype"]: row for row in result["by_archetype"]}
    assert archetypes["lapsing"]["customers"] == 2 and archetypes["lapsing"]["churn_rate"] == 1.0
    assert archetypes["champion"]["mean_spend_365d"] == 300.0
    assert result["notes"] == []
    longer = prediction_quality(_predictions(CHURNERS_FIRST), RECORDS, FUTURE, PERSONS, horizon_days=180)
    assert "truth covers 90" in longer["notes"][0] and longer["churn"]["roc_auc"] == 1.0


def _write_inputs(settings, logical_date: str = END, truth_end: str = END) -> None:
    """A tiny warehouse and ground truth where the configured settings look for them."""
    truth = settings.truth_dir
    truth.mkdir(parents=True)
    identities = RECORDS.dropna().assign(source="crm_customers")
    identities["source_record_id"] = [f"C{i}" for i in range(len(identities))]
    identities[["source", "source_record_id", "person_id"]].to_csv(truth / "identities.csv", index=False)
    FUTURE.to_csv(truth / "future.csv", index=False)
    PERSONS.to_csv(truth / "persons.csv", index=False)
    (truth / "planted.json").write_text(json.dumps({"end": truth_end}), encoding="utf-8")
    identity_map = identities[["source", "source_record_id", "unified_customer_id"]]
    predictions = _predictions(CHURNERS_FIRST).assign(logical_date=pd.Timestamp(logical_date).date())
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute("create schema marts")
        con.register("identity_map", identity_map)
        con.register("predictions", predictions)
        con.execute("create table marts.customer_identity_map as select * from identity_map")
        con.execute("create table marts.customer_predictions as select * from predictions")
    finally:
        con.close()


def test_cli_reports_the_warehouse_predictions_as_json(isolated_settings, capsys):
    _write_inputs(isolated_settings)
    assert main(["--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["logical_date"] == END and result["model_versions"] == {"churn": [1], "clv": [2]}
    assert result["customers_evaluated"] == 4 and result["ambiguous_customers"] == 2
    assert result["churn"]["roc_auc"] == 1.0


def test_cli_without_truth_or_predictions_says_so_in_one_line(isolated_settings, capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "no ground truth" in captured.err
    assert "future.csv" in captured.err


def test_cli_without_a_predictions_table_says_so_in_one_line(isolated_settings, capsys):
    _write_inputs(isolated_settings)
    con = duckdb.connect(str(isolated_settings.warehouse_path))
    con.execute("drop table marts.customer_predictions")
    con.close()
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cdp predict" in err


def test_cli_refuses_predictions_of_another_date(isolated_settings, capsys):
    _write_inputs(isolated_settings, logical_date="2026-06-29")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2026-06-29" in err and END in err
