"""The two scheduled entry points the Airflow DAGs call with the logical date (`ds`).

They dispatch to the model families (today: segmentation); a new family adds its calls here.
"""

from __future__ import annotations

from typing import Any

from models.registry import CHAMPION, alias_version
from models.segmentation.registered_model import CHAMPION_URI, EXPERIMENT_NAME, MODEL_NAME
from models.segmentation.scoring import score
from models.segmentation.training import train
from models.tracking import configure_mlflow


def run_nightly(logical_date: str) -> dict[str, Any]:
    """Score with the champion; on the very first night train one (it becomes champion) first."""
    configure_mlflow(EXPERIMENT_NAME)
    trained = None
    if alias_version(CHAMPION, MODEL_NAME) is None:
        trained = train(logical_date)
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary() if trained else None, "scored": scored.__dict__}


def run_weekly(logical_date: str) -> dict[str, Any]:
    """Train a challenger, promote it if `should_promote` allows, then rescore with the champion."""
    trained = train(logical_date, promote=True)
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary(), "scored": scored.__dict__}
