"""Train, evaluate against the champion, log to MLflow and register `customer_segmentation`.

The model clusters the customers `models.segmentation.population` selects (known, with
behaviour); everyone else carries a lifecycle segment, and the training report shows both.
One MLflow parent run per training with a child run per candidate. The winning pipeline
is logged with signature and input example and registered; the first version becomes
`champion`, later versions become `challenger` and are promoted by
`models.segmentation.promotion_rule.should_promote` (aliases moved by `models.promotion`).
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.entities.model_registry import ModelVersion

from customer_platform.config import get_settings
from models.features import (
    KEY_COLUMN,
    feature_table_hash,
    features_with_sources,
    load_features,
    parse_logical_date,
)
from models.promotion import apply_promotion, decide_promotion
from models.registry import CHAMPION, alias_version, load_pipeline, log_and_register_model
from models.segmentation.decision import log_candidate_runs, log_selection_decision
from models.segmentation.personas import (
    initial_segment_ids,
    match_segment_ids,
    name_personas,
    population_reference,
)
from models.segmentation.pipeline import (
    CLUSTER_FEATURES,
    centers_in_original_units,
    centroid_space,
    cluster_centers,
    transformed_feature_names,
)
from models.segmentation.population import (
    ML_KIND,
    RESERVED_NAMES,
    Population,
    lifecycle_assignments,
    lifecycle_segment_table,
    load_lifecycle,
    split_population,
)
from models.segmentation.promotion_rule import should_promote, stability_ari
from models.segmentation.registered_model import EXPERIMENT_NAME, MODEL_NAME, load_segment_metadata
from models.segmentation.registered_model import describe_segmentation_version as describe_version
from models.segmentation.reports import write_training_artifacts
from models.segmentation.selection import Selection, SelectionConfig, sample_silhouette, select_model
from models.tracking import configure_mlflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a training produced; `is_champion` says whether scoring now uses it."""

    logical_date: str
    run_id: str
    model_name: str
    model_version: str
    algorithm: str
    k: int
    silhouette: float
    row_count: int
    data_hash: str
    is_champion: bool
    decision: str
    champion_silhouette: float | None = None
    stability_ari: float | None = None
    segments: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary (the CLI prints it; XCom can carry it)."""
        return {k: v for k, v in asdict(self).items() if k != "segments"}


def build_segment_table(
    selection: Selection, frame: pd.DataFrame, config: SelectionConfig, previous: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Segment ids, personas and centroids for the winning model.

    Ids are matched to `previous` (the champion's metadata) when it clustered on the same features.
    """
    scaled_centers = cluster_centers(selection.winner.clusterer)
    names = transformed_feature_names(selection.preprocess)
    original = centers_in_original_units(selection.preprocess, scaled_centers)
    centroids = [dict(zip(names, map(float, row), strict=True)) for row in original]
    previous_segments = [s for s in (previous or {}).get("segments", []) if s.get("kind", ML_KIND) == ML_KIND]
    previous_features = (previous or {}).get("cluster_features", (previous or {}).get("features", []))
    if previous_segments and set(previous_features) == set(config.features):
        prev_frame = pd.DataFrame([s["centroid"] for s in previous_segments])[list(config.features)]
        prev_scaled = centroid_space(selection.preprocess).transform(prev_frame)
        prev_ids = [int(s["segment_id"]) for s in previous_segments]
        ids = match_segment_ids(scaled_centers, prev_scaled, prev_ids, centroids)
    else:
        ids = initial_segment_ids(centroids)
    reference = population_reference(frame, config.features)
    personas = name_personas(centroids, reference, get_settings().rfm_window_days, RESERVED_NAMES)
    return [
        {
            "segment_id": ids[cluster],
            "cluster": cluster,
            "kind": ML_KIND,
            "name": personas[cluster][0],
            "description": personas[cluster][1],
            "centroid": {k: round(v, 6) for k, v in centroids[cluster].items()},
        }
        for cluster in range(len(centroids))
    ]


def segment_ids_for(labels: np.ndarray, segments: list[dict[str, Any]]) -> np.ndarray:
    """Map a model's raw cluster labels to segment ids through its segment table."""
    clustered = [s for s in segments if "cluster" in s]
    lookup = np.full(max(s["cluster"] for s in clustered) + 1, -1, dtype=np.int64)
    for s in clustered:
        lookup[s["cluster"]] = s["segment_id"]
    return lookup[labels]


def everyone_with_segments(
    frame: pd.DataFrame, population: Population, segment_ids: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature rows of every customer (NaN where a customer has none) and their segment ids, aligned.

    segment_ids: the clustered customers' ids, in `population.features` order.
    """
    assigned = pd.concat(
        [
            pd.DataFrame({KEY_COLUMN: population.features[KEY_COLUMN], "segment_id": segment_ids}),
            lifecycle_assignments(population.lifecycle)[[KEY_COLUMN, "segment_id"]],
        ],
        ignore_index=True,
    )
    everyone = assigned.merge(frame, on=KEY_COLUMN, how="left")
    return everyone.drop(columns="segment_id"), everyone["segment_id"].to_numpy()


def compare_with_champion(
    champion: ModelVersion, selection: Selection, frame: pd.DataFrame, challenger_sample_ids: np.ndarray
) -> tuple[float, float]:
    """(champion silhouette, stability ARI) on the challenger's evaluation sample and space."""
    pipeline = load_pipeline(champion)
    metadata = load_segment_metadata(champion)
    sample = frame.iloc[selection.sample_index][metadata["features"]]
    champion_labels = pipeline.predict(sample)
    return (
        sample_silhouette(selection.sample_scaled, champion_labels),
        stability_ari(champion_labels, challenger_sample_ids),
    )


def train(logical_date: str, config: SelectionConfig | None = None, promote: bool = True) -> TrainResult:
    """Select, log and register a segmentation model on one logical date's features.

    promote: apply the promotion rule (False registers a challenger and leaves the champion).
    """
    left_out: dict[str, str] = {}
    if config is None:
        features, left_out = features_with_sources(CLUSTER_FEATURES)
        if len(features) < 2:
            raise ValueError(
                f"segmentation needs two or more features with a source behind them; left out: {left_out}"
            )
        config = SelectionConfig(features=features)
    if left_out:
        log.info("segmentation features: %s; left out: %s", ", ".join(config.features), left_out)
    settings = get_settings()
    day = parse_logical_date(logical_date).isoformat()
    experiment_id = configure_mlflow(EXPERIMENT_NAME)
    frame = load_features(day)
    data_hash = feature_table_hash(frame)
    population = split_population(frame, load_lifecycle(parse_logical_date(day)))
    clustered = population.features
    selection = select_model(clustered, config, settings.seed)
    champion = alias_version(CHAMPION, MODEL_NAME)
    previous = load_segment_metadata(champion) if champion else None
    segments = build_segment_table(selection, clustered, config, previous)
    pipeline = selection.pipeline
    inputs = clustered[list(config.inputs)]
    labels = pipeline.predict(inputs)
    segment_ids = segment_ids_for(labels, segments)
    sample_ids = segment_ids[selection.sample_index]
    winner = selection.winner
    champ_sil, ari = (
        compare_with_champion(champion, selection, clustered, sample_ids) if champion else (None, None)
    )
    rule_decision = should_promote(winner.silhouette, champ_sil, ari) if champion else None
    decision = decide_promotion(rule_decision, allowed=promote)

    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-{day}") as run:
        mlflow.set_tags({"logical_date": day, "feature_table_hash": data_hash, "job": "train"})
        mlflow.log_params(
            config.as_params()
            | {
                "seed": settings.seed,
                "sample_seed": settings.seed,
                "sample_rows": len(selection.sample_index),
                "logical_date": day,
                "row_count": len(frame),
                "clustered_rows": len(clustered),
                "lifecycle_rows": len(population.lifecycle),
                "clustering_rule": population.rule,
                "feature_table_hash": data_hash,
                "chosen_algorithm": winner.algorithm,
                "chosen_k": winner.k,
                # Features without an active source behind them (null or constant columns).
                "features_left_out": ",".join(sorted(left_out)) or "none",
            }
        )
        mlflow.log_metrics(
            winner.metrics()
            | {
                "n_segments": winner.k,
                "row_count": len(frame),
                "clustered_share": len(clustered) / len(frame),
            }
        )
        log_candidate_runs(selection.candidates, winner, settings.seed, experiment_id)
        log_selection_decision(selection.candidates, winner, config)
        summary = {
            "logical date": day,
            "customers": len(population.lifecycle) + len(clustered),
            "clustered (ML)": f"{len(clustered)} ({population.rule})",
            "lifecycle segments": len(population.lifecycle),
            "feature table hash": data_hash,
            "chosen": winner.name,
            "silhouette": round(winner.silhouette, 4),
            "stability": round(winner.stability, 4),
            "decision": decision.reason,
        }
        with tempfile.TemporaryDirectory() as tmp:
            profile_frame, profile_ids = everyone_with_segments(frame, population, segment_ids)
            out = write_training_artifacts(
                Path(tmp) / "report",
                profile_frame,
                profile_ids,
                segments + lifecycle_segment_table(),
                selection.candidates,
                winner,
                selection.sample_scaled,
                sample_ids,
                transformed_feature_names(selection.preprocess),
                summary,
            )
            (out / "segments.json").write_text(json.dumps(segments, indent=2), encoding="utf-8")
            mlflow.log_artifacts(str(out), artifact_path="report")
        metadata = {
            "segments": segments,
            "features": list(config.inputs),
            "cluster_features": list(config.features),
            "clustering_rule": population.rule,
            "logical_date": day,
            "feature_table_hash": data_hash,
        }
        version = log_and_register_model(pipeline, inputs, labels, MODEL_NAME, metadata, reference=inputs)
        if champ_sil is not None:
            mlflow.log_metrics({"champion_silhouette": champ_sil, "stability_ari_vs_champion": ari})
        mlflow.log_metric("promoted", float(decision.promote))
        mlflow.set_tags({"promotion_decision": decision.reason, "model_version": version})

    apply_promotion(MODEL_NAME, version, decision)
    facts = {"logical_date": day, "row_count": len(frame), "clustered_rows": len(clustered)}
    facts |= {"feature_table_hash": data_hash, "features": ",".join(config.inputs), "chosen": winner.name}
    describe_version(version, facts | {"run_id": run.info.run_id})
    return TrainResult(
        logical_date=day,
        run_id=run.info.run_id,
        model_name=MODEL_NAME,
        model_version=version,
        algorithm=winner.algorithm,
        k=winner.k,
        silhouette=winner.silhouette,
        row_count=len(frame),
        data_hash=data_hash,
        is_champion=decision.promote,
        decision=decision.reason,
        champion_silhouette=champ_sil,
        stability_ari=ari,
        segments=segments,
    )
