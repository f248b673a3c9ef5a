"""Churn and lifetime-value training, MLflow tracking, promotion and write-back on planted histories."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from bench.planted_histories import planted_histories, write_warehouse
from customer_platform.config import get_settings
from customer_platform.warehouse_tables import warehouse_reader
from models.features import parse_logical_date
from models.prediction.churn import first_purchase, labelled_snapshot, plan_observation_dates, predict_churn
from models.prediction.churn_training import train_churn
from models.prediction.clv import (
    BTYD_INPUTS,
    CHURN_EVIDENCE,
    PEER_GROUPS,
    PLAIN,
    VALUE_CANDIDATES,
    ValueParameters,
    p_purchase_in,
    predict_value,
)
from models.prediction.evaluation import is_monotone
from models.prediction.peer_groups import peer_group_of
from models.prediction.registered_models import CHURN_MODEL, CLV_MODEL
from models.prediction.scoring import score_predictions
from models.prediction.snapshot import btyd_summary
from models.prediction.tables import DRIVERS_TABLE, HISTORY_TABLE, PREDICTIONS_TABLE, SEGMENTS_TABLE
from models.prediction.training import default_config, train_predictions
from models.registry import CHAMPION, alias_version, load_model_metadata, load_pipeline, load_python_model

DAY = "2026-06-30"


@pytest.fixture(scope="module")
def trained(module_settings):
    write_warehouse(module_settings.warehouse_path, *planted_histories(1500, seed=11))
    return train_predictions(DAY)


@pytest.fixture(scope="module")
def scored(trained):
    """The champions' predictions for DAY, written once for the tests that read them."""
    return score_predictions(DAY)


def _warehouse(settings):
    return duckdb.connect(str(settings.warehouse_path), read_only=True)


def test_first_training_registers_both_champions_with_metrics(trained):
    assert trained.churn.is_champion and trained.value.is_champion
    assert str(alias_version(CHAMPION, CHURN_MODEL).version) == trained.churn.model_version
    assert str(alias_version(CHAMPION, CLV_MODEL).version) == trained.value.model_version
    assert trained.churn.metrics["roc_auc"] > 0.7, trained.churn.metrics
    assert trained.value.metrics["normalized_gini"] > 0.4, trained.value.metrics


def test_the_mlflow_runs_carry_parameters_metrics_and_artifacts(trained):
    client = MlflowClient()
    churn = client.get_run(trained.churn.run_id)
    assert {
        "horizon_days",
        "validation_date",
        "training_observation_dates",
        "chosen_candidate",
        "seed",
    } <= set(churn.data.params)
    assert {"roc_auc", "pr_auc", "brier", "log_loss", "interpurchase_gap_p90"} <= set(churn.data.metrics)
    churn_files = {f.path for f in client.list_artifacts(trained.churn.run_id, "report")}
    assert {
        "report/calibration_curve.png",
        "report/decile_lift.png",
        "report/permutation_importance.csv",
    } <= churn_files
    children = client.search_runs(
        [churn.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{trained.churn.run_id}'"
    )
    assert {r.data.params["candidate"] for r in children} == {"hist_gradient_boosting", "random_forest"}
    value = client.get_run(trained.value.run_id)
    assert {"normalized_gini", "spend_mae", "orders_mae", "bgnbd_r", "gamma_gamma_q"} <= set(
        value.data.metrics
    )
    assert {"chosen_candidate", "selection_rule", "churn_model_version"} <= set(value.data.params)
    assert value.data.params["churn_model_version"] == trained.churn.model_version
    value_files = {f.path for f in client.list_artifacts(trained.value.run_id, "report")}
    assert {
        "report/value_deciles.png",
        "report/value_deciles.csv",
        "report/permutation_importance.csv",
        "report/candidates.csv",
    } <= value_files


def test_experiments_are_tagged_and_runs_explain_their_choice(trained):
    client = MlflowClient()
    for result, name in ((trained.churn, CHURN_MODEL), (trained.value, CLV_MODEL)):
        experiment = client.get_experiment_by_name(name)
        assert experiment.tags["mlflow.experimentKind"] == "custom_model_development", name
        assert (
            experiment.tags["mlflow.note.content"] and "mlflow.sharedViewState.key-metrics" in experiment.tags
        )
        explanation = mlflow.artifacts.load_text(f"runs:/{result.run_id}/report/selection_decision.md")
        assert client.get_run(result.run_id).data.tags["selection_explanation"] == explanation
    churn_explanation = client.get_run(trained.churn.run_id).data.tags["selection_explanation"]
    assert churn_explanation.startswith(f"**{trained.churn.chosen}** was chosen: the lowest log_loss")
    other = ({"hist_gradient_boosting", "random_forest"} - {trained.churn.chosen}).pop()
    assert f"- {other}: log_loss" in churn_explanation
    candidates = pd.read_csv(
        mlflow.artifacts.download_artifacts(
            run_id=trained.churn.run_id, artifact_path="report/candidates.csv"
        )
    )
    assert candidates.loc[candidates["chosen"], "candidate"].tolist() == [trained.churn.chosen]
    assert candidates.loc[candidates["chosen"], "log_loss"].item() == candidates["log_loss"].min()
    value_explanation = client.get_run(trained.value.run_id).data.tags["selection_explanation"]
    assert value_explanation.startswith(f"**{trained.value.candidate}** was chosen: the lowest spend_mae")


def test_registered_models_and_versions_carry_descriptions_and_tags(trained):
    client = MlflowClient()
    for result, name in ((trained.churn, CHURN_MODEL), (trained.value, CLV_MODEL)):
        assert "champion" in client.get_registered_model(name).description, name
        version = client.get_model_version(name, result.model_version)
        assert DAY in version.description and version.tags["logical_date"] == DAY
        assert version.tags["data_version"].startswith(f"{DAY}/") and version.tags["features"]
        assert version.tags["promotion_decision"] == "promoted to champion"
        assert version.tags["promotion_reason"] == result.decision and version.tags["run_id"] == result.run_id
    churn = client.get_model_version(CHURN_MODEL, trained.churn.model_version)
    assert churn.tags["rows"] == str(trained.churn.train_rows)
    assert churn.tags["features"].split(",") == load_model_metadata(churn)["features"]


def test_both_value_candidates_are_scored_and_the_lower_holdout_mae_is_registered(trained):
    run = MlflowClient().get_run(trained.value.run_id)
    path = mlflow.artifacts.download_artifacts(
        run_id=trained.value.run_id, artifact_path="report/candidates.csv"
    )
    candidates = pd.read_csv(path).set_index("candidate")
    assert set(candidates.index) == set(VALUE_CANDIDATES)
    best = candidates["spend_mae"].idxmin()
    assert run.data.params["chosen_candidate"] == best == trained.value.candidate
    assert candidates.loc[best, "chosen"]
    model = load_python_model(alias_version(CHAMPION, CLV_MODEL))
    assert model.parameters.candidate == best
    inputs = pd.DataFrame({"frequency": [3.0], "recency": [60.0], "T": [200.0], "monetary_value": [40.0]})
    if model.parameters.uses_churn:
        with pytest.raises(ValueError, match="churn_probability"):
            model.predict(None, inputs)
        assert model.predict(None, inputs.assign(churn_probability=[0.5]))["p_alive"].between(0, 1).all()
    else:
        assert model.predict(None, inputs)["p_alive"].between(0, 1).all()


def test_the_churn_evidence_candidate_equals_btyd_where_the_churn_model_agrees(trained, module_settings):
    with _warehouse(module_settings) as con:
        summary = btyd_summary(con, DAY)
    fitted = load_python_model(alias_version(CHAMPION, CLV_MODEL)).parameters
    plain = predict_value(fitted.as_candidate(PLAIN, 90), summary)
    evidence = fitted.as_candidate(CHURN_EVIDENCE, 90)
    agreeing = 1.0 - p_purchase_in(fitted, summary, 90)
    pd.testing.assert_frame_equal(predict_value(evidence, summary, churn_probability=agreeing), plain)
    surer = predict_value(evidence, summary, churn_probability=np.clip(agreeing + 0.2, 0, 1))
    assert (surer["predicted_clv_12m"] <= plain["predicted_clv_12m"] + 1e-9).all()
    assert (surer["p_alive"] <= plain["p_alive"] + 1e-9).all()
    assert (surer["expected_spend_per_order"] == plain["expected_spend_per_order"]).all()


def test_the_peer_group_candidate_predicts_each_customer_with_their_own_groups_fit(trained, module_settings):
    with _warehouse(module_settings) as con:
        summary = btyd_summary(con, DAY)
    fitted = load_python_model(alias_version(CHAMPION, CLV_MODEL)).parameters
    assert fitted.peer_groups and MlflowClient().get_run(trained.value.run_id).data.params[
        "peer_groups"
    ] == str(len(fitted.peer_groups))
    churn = np.linspace(0.05, 0.95, len(summary))
    peer = predict_value(fitted.as_candidate(PEER_GROUPS, 90), summary, churn_probability=churn)
    labels = peer_group_of(summary, fitted.peer_groups)
    for i, group in enumerate(fitted.peer_groups):
        rows = labels == i
        own = ValueParameters(group["purchases"], group["spend"], CHURN_EVIDENCE, 90)
        expected = predict_value(own, summary[rows], churn_probability=churn[rows])
        np.testing.assert_allclose(peer[rows].to_numpy(), expected.to_numpy())
    assert peer.notna().all().all() and (peer["p_alive"].between(0, 1)).all()


def test_calibrated_churn_probabilities_rise_with_the_observed_rate(trained, module_settings):
    version = alias_version(CHAMPION, CHURN_MODEL)
    pipeline = load_pipeline(version)
    config = default_config()
    with _warehouse(module_settings) as con:
        validation = labelled_snapshot(con, dt.date(2026, 4, 1), config, seed=42)
    features = list(pipeline.feature_names_in_)
    probability = predict_churn(pipeline, validation, features)
    bins = pd.qcut(probability, 5, labels=False, duplicates="drop")
    observed = validation["churned"].groupby(bins).mean().to_numpy()
    predicted = pd.Series(probability).groupby(bins).mean().to_numpy()
    assert is_monotone(observed), observed
    assert np.abs(observed - predicted).max() < 0.15, (observed, predicted)


def test_promotion_refuses_a_worse_churn_model(trained):
    champion_before = alias_version(CHAMPION, CHURN_MODEL).version
    crippled = replace(
        default_config(), features=("return_rate", "tenure_days"), candidates=("random_forest",)
    )
    # The churn training alone (train_predictions also fits the value models, which this does not test).
    with warehouse_reader() as con:
        plan = plan_observation_dates(parse_logical_date(DAY), first_purchase(con), crippled)
        worse = train_churn(con, plan, crippled, get_settings().seed, True, {"plan": plan.__dict__})
    assert not worse.is_champion, worse.decision
    assert "ROC-AUC" in worse.decision
    assert alias_version(CHAMPION, CHURN_MODEL).version == champion_before
    assert str(alias_version("challenger", CHURN_MODEL).version) == worse.model_version


def test_scoring_writes_predictions_idempotently(scored, module_settings):
    first = scored
    with _warehouse(module_settings) as con:
        rows_a = con.execute(f"select * exclude (assigned_at) from {PREDICTIONS_TABLE} order by 1").df()
        drivers_a = con.execute(f"select * from {DRIVERS_TABLE} order by 1, driver_rank").df()
    second = score_predictions(DAY)
    with _warehouse(module_settings) as con:
        rows_b = con.execute(f"select * exclude (assigned_at) from {PREDICTIONS_TABLE} order by 1").df()
        drivers_b = con.execute(f"select * from {DRIVERS_TABLE} order by 1, driver_rank").df()
        history = con.execute(f"select logical_date, count(*) from {HISTORY_TABLE} group by 1").fetchall()
        segments = con.execute(f"select churn_segment, count(*) from {SEGMENTS_TABLE} group by 1").fetchall()
    pd.testing.assert_frame_equal(rows_a, rows_b)
    pd.testing.assert_frame_equal(drivers_a, drivers_b)
    churn, value = (load_model_metadata(alias_version(CHAMPION, m)) for m in (CHURN_MODEL, CLV_MODEL))
    assert _input_profiles(module_settings) == {
        (CHURN_MODEL, second.churn_model_version): set(churn["features"]),
        (CLV_MODEL, second.clv_model_version): set(value["inputs"]),
    }, "each champion's scored inputs, once per bin however often the date is scored"
    assert history == [(dt.date(2026, 6, 30), first.customers)], "one set of rows per date, never duplicates"
    assert first.customers == second.customers == len(rows_a) > 0
    assert rows_a["churn_probability"].between(0, 1).all() and rows_a["p_alive"].between(0, 1).all()
    assert (rows_a["predicted_clv_12m"] >= 0).all()
    assert sorted(rows_a["clv_decile"].unique()) == list(range(1, 11))
    assert (rows_a["is_at_risk"] == (rows_a["churn_probability"] > 0.70)).all()
    assert dict(segments).get("At-Risk", 0) == int(rows_a["is_at_risk"].sum())
    assert rows_a["churn_mlflow_run_id"].notna().all() and rows_a["clv_mlflow_run_id"].notna().all()


def test_every_at_risk_customer_gets_up_to_three_readable_drivers(scored, module_settings):
    with _warehouse(module_settings) as con:
        at_risk = {
            r[0]
            for r in con.execute(
                f"select unified_customer_id from {PREDICTIONS_TABLE} where is_at_risk"
            ).fetchall()
        }
        drivers = con.execute(f"select * from {DRIVERS_TABLE}").df()
    assert at_risk, "the planted histories have customers who left"
    assert set(drivers["unified_customer_id"]) <= at_risk
    assert len(set(drivers["unified_customer_id"])) >= 0.9 * len(at_risk)
    assert drivers.groupby("unified_customer_id")["driver_rank"].max().max() <= 3
    assert (drivers["shap_value"] > 0).all()
    assert drivers["driver_text"].str.contains(r"\(typical ").all()
    assert not drivers["driver_label"].str.contains("_").any(), "plain language, not column names"


def test_both_champions_store_reference_bins(trained):
    from customer_platform.drift import REFERENCE_ARTIFACT, REFERENCE_BINS_KEY

    churn_version, value_version = alias_version(CHAMPION, CHURN_MODEL), alias_version(CHAMPION, CLV_MODEL)
    churn, value = load_model_metadata(churn_version), load_model_metadata(value_version)
    assert set(churn[REFERENCE_BINS_KEY]) == set(churn["features"])
    assert set(value[REFERENCE_BINS_KEY]) == set(value["inputs"])
    assert set(BTYD_INPUTS) <= set(value[REFERENCE_BINS_KEY])
    for reference in [*churn[REFERENCE_BINS_KEY].values(), *value[REFERENCE_BINS_KEY].values()]:
        assert sum(reference["shares"]) == pytest.approx(1.0)
    assert REFERENCE_ARTIFACT in {f.path for f in MlflowClient().list_artifacts(churn_version.run_id)}


def _input_profiles(settings) -> dict[tuple[str, str], set[str]]:
    """Features profiled per (model, version) on DAY; asserts each sums to one share, never duplicated."""
    with _warehouse(settings) as con:
        rows = con.execute(
            "select model_name, model_version, feature, sum(customers), sum(share), count(*), "
            "count(distinct bin_index) from marts.model_input_profiles where logical_date = ? group by all",
            [dt.date(2026, 6, 30)],
        ).fetchall()
    profiled: dict[tuple[str, str], set[str]] = {}
    for model, version, feature, customers, share, bins, distinct_bins in rows:
        assert share == pytest.approx(1.0) and customers > 0 and bins == distinct_bins, (model, feature)
        profiled.setdefault((model, version), set()).add(feature)
    return profiled
