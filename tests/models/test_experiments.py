"""Experiment tags: kind, description and a saved view of the key metrics the MLflow UI can read."""

from __future__ import annotations

import json

from customer_platform.model_names import REGISTERED_MODELS
from models.experiments import DESCRIPTION_TAG, KIND_TAG, MODEL_TRAINING_KIND, PROFILES, experiment_tags
from models.run_views import VIEW_TAG_PREFIX, view_link


def test_every_registered_model_has_an_experiment_profile_with_key_metrics():
    assert set(PROFILES) == set(REGISTERED_MODELS)
    for profile in PROFILES.values():
        assert profile.description and "promoted" in profile.key_metrics


def test_the_tags_mark_a_model_training_experiment_with_a_description():
    tags = experiment_tags("customer_churn")
    assert tags[KIND_TAG] == MODEL_TRAINING_KIND == "custom_model_development"
    assert "log loss" in tags[DESCRIPTION_TAG]
    assert experiment_tags("some_other_experiment") == {KIND_TAG: MODEL_TRAINING_KIND}


def test_the_saved_view_shows_the_key_metrics_and_every_run():
    tags = experiment_tags("customer_segmentation")
    (key,) = [k for k in tags if k.startswith(VIEW_TAG_PREFIX)]
    envelope = json.loads(tags[key])
    assert envelope["name"] == "Key metrics" and isinstance(envelope["createdAt"], int)
    state = json.loads(envelope["state"])
    for metric in ("silhouette", "davies_bouldin", "calinski_harabasz", "stability"):
        assert f"metrics.`{metric}`" in state["selectedColumns"]
    assert "params.`chosen_k`" in state["selectedColumns"]
    assert state["runsHiddenMode"] == "SHOW_ALL"
    assert experiment_tags("customer_segmentation") == tags  # stable: re-writing changes nothing


def test_the_view_link_opens_the_runs_in_the_view():
    link = view_link("3")
    assert link.startswith("#/experiments/3/runs?viewStateShareKey=key-metrics")
    assert "workflowType=machine_learning" in link
