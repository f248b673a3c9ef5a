"""The two scheduled entry points the Airflow DAGs call with the logical date (`ds`).

They dispatch to the model families (segmentation; churn and lifetime value); a new family adds its calls here.
"""

from __future__ import annotations

import logging
from typing import Any

from models.prediction.churn import InsufficientHistoryError
from models.prediction.registered_models import CHURN_MODEL, CLV_MODEL, NoOrderSourceError
from models.prediction.scoring import score_predictions
from models.prediction.training import train_predictions
from models.registry import CHAMPION, alias_version
from models.segmentation.registered_model import CHAMPION_URI, EXPERIMENT_NAME, MODEL_NAME
from models.segmentation.scoring import score
from models.segmentation.selection import TooFewCustomersError
from models.segmentation.training import train
from models.tracking import configure_mlflow

log = logging.getLogger(__name__)


def run_nightly(logical_date: str) -> dict[str, Any]:
    """Score with the champion; on the very first night train one (it becomes champion) first.

    A deployment with too few customers to segment yet (its first days) has no champion to
    score with: the night goes on, and the result says why no segments were written.
    """
    configure_mlflow(EXPERIMENT_NAME)
    trained = None
    if alias_version(CHAMPION, MODEL_NAME) is None:
        try:
            trained = train(logical_date)
        except TooFewCustomersError as exc:
            return _skipped(logical_date, exc)
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary() if trained else None, "scored": scored.__dict__}


def run_weekly(logical_date: str) -> dict[str, Any]:
    """Train a challenger, promote it if `should_promote` allows, then rescore with the champion."""
    try:
        trained = train(logical_date, promote=True)
    except TooFewCustomersError as exc:
        if alias_version(CHAMPION, MODEL_NAME) is None:
            return _skipped(logical_date, exc)
        raise
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary(), "scored": scored.__dict__}


def _skipped(logical_date: str, exc: Exception) -> dict[str, Any]:
    reason = f"no segments for {logical_date}: {exc}; segmentation starts once enough customers have features"
    log.warning(reason)
    return {"trained": None, "scored": None, "skipped": reason}


def run_nightly_predictions(logical_date: str) -> dict[str, Any]:
    """Score churn and value with the champions; train them first on the first night.

    A deployment whose history is shorter than twice the churn horizon (or with no order
    source) has nothing to learn from yet: the night goes on, and the result says why.
    """
    trained = None
    try:
        if alias_version(CHAMPION, CHURN_MODEL) is None or alias_version(CHAMPION, CLV_MODEL) is None:
            trained = train_predictions(logical_date)
    except (InsufficientHistoryError, NoOrderSourceError) as exc:
        return _skipped_predictions(logical_date, exc)
    scored = score_predictions(logical_date)
    return {"trained": trained.summary() if trained else None, "scored": scored.__dict__}


def run_weekly_predictions(logical_date: str) -> dict[str, Any]:
    """Train churn and value challengers, promote each by its rule, then rescore with the champions."""
    try:
        trained = train_predictions(logical_date, promote=True)
    except (InsufficientHistoryError, NoOrderSourceError) as exc:
        if alias_version(CHAMPION, CHURN_MODEL) is None:
            return _skipped_predictions(logical_date, exc)
        raise
    scored = score_predictions(logical_date)
    return {"trained": trained.summary(), "scored": scored.__dict__}


def _skipped_predictions(logical_date: str, exc: Exception) -> dict[str, Any]:
    reason = f"no predictions for {logical_date}: {exc}"
    log.warning(reason)
    return {"trained": None, "scored": None, "skipped": reason}
