"""What each training experiment says about itself in MLflow: kind, description, tags, key metrics.

`models.tracking.configure_mlflow` writes these as experiment tags every time an experiment
is configured, so experiments created before this module existed get them too (writing a tag
with the same value changes nothing). The experiment names are the registered model names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from customer_platform.model_names import CHURN_MODEL, CLV_MODEL, SEGMENTATION_MODEL
from models.run_views import runs_view_state, saved_view_tag

#: MLflow's experiment type tag; "custom_model_development" is the UI's "Machine learning" kind
#: (as opposed to "genai_development"), shown by its experiment-kind selector.
KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING_KIND = "custom_model_development"
#: The experiment description the UI shows under its name (Markdown).
DESCRIPTION_TAG = "mlflow.note.content"
#: The metric the UI treats as the experiment's primary one.
PRIMARY_METRIC_TAG = "mlflow.experiment.primaryMetric.name"
KEY_METRICS_VIEW_NAME = "Key metrics"


@dataclass(frozen=True)
class ExperimentProfile:
    """The description and the key metrics, params and tags of one experiment's runs."""

    description: str
    key_metrics: tuple[str, ...]
    key_params: tuple[str, ...] = ()
    key_tags: tuple[str, ...] = ("promotion_decision", "model_version")
    tags: dict[str, str] = field(default_factory=dict)


_COMMON = (
    "\n\nOne parent run `train-<date>` per training with a child run per candidate; the report "
    "artifacts (`report/`) hold the candidate ranking (`candidates.csv` or `candidate_ranking.csv`) and "
    "`selection_decision.md`, which says why the chosen candidate won. Scoring runs are tagged "
    "`job=score`. Open **Views ▸ Key metrics** for the columns that matter."
)

PROFILES: dict[str, ExperimentProfile] = {
    SEGMENTATION_MODEL: ExperimentProfile(
        description=(
            "**Customer segmentation** (`models/segmentation`): KMeans, Ward, Gaussian mixture and "
            "DBSCAN candidates over the RFM and engagement features; the winner passes the "
            "segment-size and stability gates and has the best silhouette + Davies–Bouldin rank "
            "(`models/segmentation/winner_rule.py`). Registered as `customer_segmentation`, "
            "scoring follows its `champion` alias." + _COMMON
        ),
        key_metrics=(
            "silhouette",
            "davies_bouldin",
            "calinski_harabasz",
            "stability",
            "n_segments",
            "clustered_share",
            "promoted",
        ),
        key_params=("chosen_algorithm", "chosen_k", "logical_date", "row_count"),
        tags={"model_family": "segmentation", "registered_model": SEGMENTATION_MODEL},
    ),
    CHURN_MODEL: ExperimentProfile(
        description=(
            "**Churn probability** (`models/prediction`): gradient boosting and random forest "
            "candidates on time-split customer snapshots, calibrated; the lowest validation log "
            "loss wins. Registered as `customer_churn`, scoring follows its `champion` alias." + _COMMON
        ),
        key_metrics=("log_loss", "roc_auc", "pr_auc", "brier", "promoted"),
        key_params=("chosen_candidate", "logical_date", "train_rows", "validation_rows"),
        tags={"model_family": "churn", "registered_model": CHURN_MODEL},
    ),
    CLV_MODEL: ExperimentProfile(
        description=(
            "**Customer lifetime value** (`models/prediction`): BG/NBD + Gamma-Gamma parameters, "
            "with and without the churn model's evidence; the lowest holdout spend MAE wins. "
            "Registered as `customer_clv`, scoring follows its `champion` alias." + _COMMON
        ),
        key_metrics=("spend_mae", "normalized_gini", "orders_mae", "promoted"),
        key_params=("chosen_candidate", "logical_date", "customers"),
        tags={"model_family": "lifetime_value", "registered_model": CLV_MODEL},
    ),
}


def experiment_tags(experiment_name: str) -> dict[str, str]:
    """Every tag the experiment should carry (only the kind tag for an experiment without a profile)."""
    tags = {KIND_TAG: MODEL_TRAINING_KIND}
    profile = PROFILES.get(experiment_name)
    if profile is None:
        return tags
    state = runs_view_state(profile.key_metrics, profile.key_params, profile.key_tags)
    view_key, view_value = saved_view_tag(KEY_METRICS_VIEW_NAME, state)
    return (
        tags
        | profile.tags
        | {
            DESCRIPTION_TAG: profile.description,
            PRIMARY_METRIC_TAG: profile.key_metrics[0],
            "key_metrics": ",".join(profile.key_metrics),
            view_key: view_value,
        }
    )
