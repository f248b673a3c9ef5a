"""The two scheduled entry points the Airflow DAGs call with the logical date (`ds`)."""

from __future__ import annotations

from typing import Any

from models.registry import CHAMPION, CHAMPION_URI, alias_version, configure_mlflow
from models.scoring import score
from models.training import train


def run_nightly(logical_date: str) -> dict[str, Any]:
    """Score with the champion; on the very first night train one (it becomes champion) first."""
    configure_mlflow()
    trained = None
    if alias_version(CHAMPION) is None:
        trained = train(logical_date)
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary() if trained else None, "scored": scored.__dict__}


def run_weekly(logical_date: str) -> dict[str, Any]:
    """Train a challenger, promote it if `should_promote` allows, then rescore with the champion."""
    trained = train(logical_date, promote=True)
    scored = score(logical_date, CHAMPION_URI)
    return {"trained": trained.summary(), "scored": scored.__dict__}
