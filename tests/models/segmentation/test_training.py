"""Train, register, score and promote against a real MLflow (SQLite) and DuckDB warehouse.

One MLflow home per module (`module_settings`): migrations run once. Fixtures advance the
registry in order: first night (v1 champion) -> weekly retrain on the same population
(v2, promoted) -> a deliberately poor challenger (v3, refused). The planted warehouse holds
1,500 known customers (buyers are clustered, non-buyers are prospects) and 40 anonymous
cookie-only customers with no feature row.
"""

from __future__ import annotations

import duckdb
import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.metrics import adjusted_rand_score

from models.cli import main
from models.jobs import run_nightly, run_weekly
from models.registry import CHALLENGER, CHAMPION, alias_version, resolve_model_version
from models.segmentation.decision import DECISION_MD, RANKING_CSV
from models.segmentation.pipeline import AGGLOMERATIVE, CLUSTER_FEATURES, DBSCAN, KMEANS, model_inputs
from models.segmentation.registered_model import CHAMPION_URI, MODEL_NAME, load_segment_metadata
from models.segmentation.reports import ELBOW_PNG, HEATMAP_PNG, PROFILE_CSV, REPORT_HTML, SILHOUETTE_PNG
from models.segmentation.scoring import SEGMENT_COLUMNS, score
from models.segmentation.selection import SelectionConfig
from models.segmentation.training import train
from models.tracking import configure_mlflow
from tests.models.planted import PLANTED_ANONYMOUS, make_planted_features, write_planted_warehouse

DAY_1, DAY_2 = "2026-06-30", "2026-07-07"
CUSTOMERS = 1500 + PLANTED_ANONYMOUS


def _table(settings, sql, params=None):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def first_night(module_settings, planted):
    features, truth = planted
    write_planted_warehouse(features, module_settings.warehouse_path)
    outcome = run_nightly(DAY_1)
    current = _table(module_settings, "select * from marts.customer_segments order by unified_customer_id")
    return {"outcome": outcome, "current": current, "truth": truth, "features": features}


@pytest.fixture(scope="module")
def second_week(first_night, module_settings):
    # same population a week on: the retrain should be promoted and keep the segment ids
    features, _ = make_planted_features(1500, seed=7, logical_date=DAY_2)
    write_planted_warehouse(features, module_settings.warehouse_path, replace=False)
    return run_weekly(DAY_2)


@pytest.fixture(scope="module")
def poor_challenger(second_week):
    return train(DAY_2, SelectionConfig(k_min=2, k_max=2, algorithms=(KMEANS,)))


def test_first_night_trains_a_champion_and_scores(first_night):
    trained, scored = first_night["outcome"]["trained"], first_night["outcome"]["scored"]
    assert trained["model_version"] == "1" and trained["is_champion"]
    buyers = int((first_night["features"]["frequency"] > 0).sum())
    assert scored["rows"] == CUSTOMERS and scored["model_version"] == "1"
    assert scored["ml_rows"] == buyers and scored["lifecycle_rows"] == CUSTOMERS - buyers
    assert scored["stability_ari"] is None and scored["changed_share_features_steady"] is None


def test_written_segments_recover_planted_archetypes(first_night):
    current, features = first_night["current"], first_night["features"]
    assert list(current.columns) == list(SEGMENT_COLUMNS)
    assert len(current) == CUSTOMERS and current["unified_customer_id"].is_unique
    buyers = features["frequency"].to_numpy() > 0
    ml = current[current["segment_kind"] == "ml"]
    assert list(ml["unified_customer_id"]) == list(features.loc[buyers, "unified_customer_id"])
    assert adjusted_rand_score(first_night["truth"][buyers], ml["segment_id"]) >= 0.6
    assert (ml["segment_id"] >= 0).all() and ml["distance"].notna().all()
    lifecycle = current[current["segment_kind"] == "lifecycle"]
    anonymous = lifecycle["unified_customer_id"].str.startswith("A")
    assert anonymous.sum() == PLANTED_ANONYMOUS
    assert set(lifecycle.loc[anonymous, "segment_name"]) == {"Anonymous visitors"}
    assert set(lifecycle.loc[~anonymous, "segment_name"]) == {"Prospects"}
    assert lifecycle["distance"].isna().all() and (lifecycle["segment_id"] < 0).all()
    assert current.groupby("segment_id")["segment_name"].nunique().eq(1).all()
    assert current["segment_name"].nunique() == current["segment_id"].nunique()
    assert (current["mlflow_run_id"] == first_night["outcome"]["trained"]["run_id"]).all()


def test_run_carries_params_metrics_children_and_artifacts(first_night):
    client = MlflowClient()
    run_id = first_night["outcome"]["trained"]["run_id"]
    run = client.get_run(run_id)
    for param in (
        "seed",
        "sample_seed",
        "sample_size",
        "logical_date",
        "row_count",
        "feature_table_hash",
        "k_min",
        "k_max",
        "algorithms",
        "chosen_k",
        "chosen_algorithm",
        "minibatch_threshold",
    ):
        assert param in run.data.params, param
    assert run.data.params["logical_date"] == DAY_1 and run.data.params["row_count"] == "1500"
    buyers = int((first_night["features"]["frequency"] > 0).sum())
    assert run.data.params["clustered_rows"] == str(buyers)
    assert run.data.params["lifecycle_rows"] == str(CUSTOMERS - buyers)
    for metric in ("silhouette", "davies_bouldin", "calinski_harabasz", "inertia", "stability", "promoted"):
        assert metric in run.data.metrics, metric
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    config = SelectionConfig()
    ks = config.k_max - config.k_min + 1
    # every family over the k range, except DBSCAN: one candidate that finds its own k
    assert len(children) == sum(1 if a == DBSCAN else ks for a in config.algorithms)
    assert DBSCAN in config.algorithms and AGGLOMERATIVE in config.algorithms
    for metric in ("silhouette", "inertia", "dunn", "noise_share", "stability"):
        assert all(metric in c.data.metrics for c in children), metric
    dbscan = [c for c in children if c.data.params["algorithm"] == DBSCAN]
    assert len(dbscan) == 1 and float(dbscan[0].data.params["eps"]) > 0
    assert sum(c.data.tags["chosen"] == "true" for c in children) == 1
    artifacts = {a.path for a in client.list_artifacts(run_id, "report")}
    for name in (PROFILE_CSV, HEATMAP_PNG, ELBOW_PNG, SILHOUETTE_PNG, REPORT_HTML):
        assert f"report/{name}" in artifacts
    # the report shows the lifecycle segments beside the ML ones, sizes adding up to everyone
    profile = pd.read_csv(
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f"report/{PROFILE_CSV}")
    )
    assert set(profile["segment_kind"]) == {"ml", "lifecycle"}
    assert profile["customers"].sum() == CUSTOMERS and profile["segment_name"].is_unique
    sizes = profile.set_index("segment_name")["customers"]
    assert sizes["Anonymous visitors"] == PLANTED_ANONYMOUS
    assert sizes["Prospects"] == (first_night["features"]["frequency"] == 0).sum()


def test_the_experiment_is_tagged_and_the_run_explains_its_winner(first_night):
    client = MlflowClient()
    experiment = client.get_experiment_by_name("customer_segmentation")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    assert "Customer segmentation" in experiment.tags["mlflow.note.content"]
    assert "mlflow.sharedViewState.key-metrics" in experiment.tags
    run_id = first_night["outcome"]["trained"]["run_id"]
    ranking = pd.read_csv(
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f"report/{RANKING_CSV}")
    )
    children = client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert len(ranking) == len(children) and ranking["chosen"].sum() == 1
    chosen = ranking.loc[ranking["chosen"], "candidate"].item()
    assert chosen == ranking["candidate"].iloc[0]  # best first
    assert (
        f"{first_night['outcome']['trained']['algorithm']}_k{first_night['outcome']['trained']['k']}"
        == chosen
    )
    explanation = mlflow.artifacts.load_text(f"runs:/{run_id}/report/{DECISION_MD}")
    assert explanation.startswith(f"**{chosen}** was chosen")
    higher = ranking.loc[
        ranking["silhouette"] > ranking.loc[ranking["chosen"], "silhouette"].item(), "candidate"
    ]
    assert all(f"- {name} " in explanation for name in higher)  # every better-silhouette one is explained
    assert client.get_run(run_id).data.tags["selection_explanation"] == explanation


def test_the_registered_model_and_version_carry_descriptions_and_tags(first_night):
    client = MlflowClient()
    trained = first_night["outcome"]["trained"]
    assert "segment" in client.get_registered_model(MODEL_NAME).description
    version = client.get_model_version(MODEL_NAME, trained["model_version"])
    assert trained["algorithm"] in version.description and DAY_1 in version.description
    params = client.get_run(trained["run_id"]).data.params
    assert version.tags["logical_date"] == DAY_1 and version.tags["row_count"] == params["row_count"]
    assert version.tags["clustered_rows"] == params["clustered_rows"]
    assert version.tags["data_version"] == f"{DAY_1}/{trained['data_hash']}"
    assert version.tags["features"] == ",".join(model_inputs(CLUSTER_FEATURES))
    assert version.tags["promotion_decision"] == "promoted to champion"
    assert (
        version.tags["promotion_reason"] == trained["decision"]
        and version.tags["run_id"] == trained["run_id"]
    )


def test_an_existing_experiment_gets_its_tags_when_configured_again(first_night):
    client = MlflowClient()
    experiment = client.get_experiment_by_name("customer_segmentation")
    client.delete_experiment_tag(experiment.experiment_id, "mlflow.experimentKind")
    configure_mlflow("customer_segmentation")
    configure_mlflow("customer_segmentation")
    tags = client.get_experiment(experiment.experiment_id).tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"


def test_artifacts_live_under_the_configured_root(first_night, module_settings):
    experiment = MlflowClient().get_experiment_by_name("customer_segmentation")
    assert experiment.artifact_location.endswith("mlflow/artifacts")
    assert (module_settings.data_dir / "mlflow" / "artifacts").is_dir()


def test_champion_loads_by_alias_with_signature(first_night, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    info = mlflow.models.get_model_info(CHAMPION_URI)
    assert info.signature is not None and info.saved_input_example_info is not None
    assert info.signature.inputs.input_names() == list(model_inputs(CLUSTER_FEATURES))
    model = mlflow.pyfunc.load_model(CHAMPION_URI)
    labels = model.predict(first_night["features"][list(model_inputs(CLUSTER_FEATURES))])
    current = first_night["current"]
    assert len(set(labels)) == current.loc[current["segment_kind"] == "ml", "segment_id"].nunique()


def test_rescoring_a_date_is_deterministic_and_idempotent(first_night, module_settings):
    score(DAY_1, f"models:/{MODEL_NAME}/1")
    again = _table(module_settings, "select * from marts.customer_segments order by unified_customer_id")
    pd.testing.assert_frame_equal(
        again.drop(columns="assigned_at"), first_night["current"].drop(columns="assigned_at")
    )
    history = _table(module_settings, "select * from marts.segment_history where logical_date = ?", [DAY_1])
    assert len(history) == CUSTOMERS
    assert not history.duplicated(["unified_customer_id", "model_version"]).any()
    inputs = _table(module_settings, "select * from marts.segment_inputs where logical_date = ?", [DAY_1])
    assert len(inputs) == (first_night["features"]["frequency"] > 0).sum()
    assert inputs["inputs"].map(len).eq(len(model_inputs(CLUSTER_FEATURES))).all()


def test_weekly_retrain_is_promoted_keeps_ids_and_logs_stability(second_week, first_night):
    trained, scored = second_week["trained"], second_week["scored"]
    assert trained["model_version"] == "2" and trained["is_champion"]
    assert trained["stability_ari"] >= 0.5
    assert alias_version(CHAMPION, MODEL_NAME).version in ("2", 2)
    assert scored["stability_ari"] == pytest.approx(1.0) and scored["previous_logical_date"] == DAY_1
    # the same customers with the same features: nobody's segment may move
    buyers = int((first_night["features"]["frequency"] > 0).sum())
    assert scored["customers_features_steady"] == buyers
    assert scored["changed_share_features_steady"] == 0.0
    metrics = MlflowClient().get_run(scored["score_run_id"]).data.metrics
    assert metrics["stability_ari_vs_previous_date"] == pytest.approx(1.0)
    assert metrics["segment_changed_share_features_steady"] == 0.0
    current = first_night["current"]
    first = current[current["segment_kind"] == "ml"].groupby("segment_id")["segment_name"].first().to_dict()
    names = {s["segment_id"]: s["name"] for s in train_segments(trained["model_version"])}
    assert names == first  # same population: every id kept its persona


def train_segments(version):
    return load_segment_metadata(resolve_model_version(f"models:/{MODEL_NAME}/{version}"))["segments"]


def test_worse_challenger_is_registered_but_not_promoted(poor_challenger):
    assert not poor_challenger.is_champion
    assert "silhouette" in poor_challenger.decision
    assert str(alias_version(CHAMPION, MODEL_NAME).version) == "2"
    assert str(alias_version(CHALLENGER, MODEL_NAME).version) == poor_challenger.model_version == "3"
    run = MlflowClient().get_run(poor_challenger.run_id)
    assert run.data.metrics["promoted"] == 0.0 and "champion_silhouette" in run.data.metrics


def test_cli_rejects_a_bad_date_naming_the_argument(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "--date", "2026-02-30"])
    assert exit_info.value.code == 2
    assert "--date" in capsys.readouterr().err


def test_cli_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("train", "score", "nightly"))


def test_the_champion_stores_reference_bins_that_monitoring_reads(first_night, module_settings):
    from customer_platform.drift import REFERENCE_ARTIFACT, REFERENCE_BINS_KEY
    from monitoring.references import champion_reference

    version = resolve_model_version(f"models:/{MODEL_NAME}/1")
    metadata = load_segment_metadata(version)
    features = list(model_inputs(CLUSTER_FEATURES))
    bins = metadata[REFERENCE_BINS_KEY]
    assert set(bins) == set(features) == set(metadata["features"]), "MLflow keeps metadata keys sorted"
    buyers = int((first_night["features"]["frequency"] > 0).sum())
    for feature, reference in bins.items():
        assert reference["rows"] == buyers, "the clustered training population"
        assert len(reference["shares"]) == len(reference["edges"]) + 2, feature
        assert sum(reference["shares"]) == pytest.approx(1.0)
    stored = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/{REFERENCE_ARTIFACT}")
    assert stored == bins
    champion = champion_reference(MODEL_NAME)
    assert champion is not None and champion.references == bins
    assert champion_reference("never_registered") is None
    profile = _table(
        module_settings,
        "select feature, sum(customers) as customers, sum(share) as share, max(abs(share - reference_share)) "
        "as gap from marts.model_input_profiles where logical_date = ? and model_version = '1' group by 1",
        [DAY_1],
    )
    assert sorted(profile["feature"]) == sorted(features)
    assert (profile["customers"] == buyers).all() and profile["share"].round(9).eq(1.0).all()
    assert profile["gap"].max() < 1e-9, "scored on its training date: tonight's shares are the reference"
