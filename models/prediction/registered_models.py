"""The registered predictive models: MLflow experiment and model names, aliases, feature choice."""

from __future__ import annotations

from typing import Any

from customer_platform.model_names import CHURN_MODEL, CLV_MODEL
from customer_platform.registry import Registry, get_registry
from models.prediction.snapshot import EMAIL_FEATURES, ORDER_FEATURES, WEB_FEATURES
from models.registry import CHAMPION, alias_uri, describe_version

#: CHURN_MODEL and CLV_MODEL are the foundation's names (monitoring reads the champions by them).
CHURN_EXPERIMENT = "customer_churn"
CLV_EXPERIMENT = "customer_clv"
CHURN_CHAMPION_URI = alias_uri(CHURN_MODEL, CHAMPION)
CLV_CHAMPION_URI = alias_uri(CLV_MODEL, CHAMPION)
PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "skops")
CLV_PACKAGES = ("mlflow", "pymc-marketing", "pymc", "pytensor", "arviz", "numpy", "pandas")
MODEL_DESCRIPTIONS = {
    CHURN_MODEL: (
        "Churn probability within the horizon: a calibrated scikit-learn classifier (the better of "
        "gradient boosting and random forest by validation log loss) over each customer's snapshot. "
        "Trained by `models/prediction/churn_training.py` (experiment `customer_churn`); scoring "
        "loads `models:/customer_churn@champion`."
    ),
    CLV_MODEL: (
        "Customer lifetime value over 12 months: BG/NBD purchase and Gamma-Gamma spend parameters "
        "(with or without the churn model's evidence, by holdout spend MAE) as a python-function "
        "model. Trained by `models/prediction/value_training.py` (experiment `customer_clv`); "
        "scoring loads `models:/customer_clv@champion`."
    ),
}


class NoOrderSourceError(LookupError):
    """No active source carries orders: there is nothing to predict churn or value from."""


def churn_features(registry: Registry | None = None) -> tuple[tuple[str, ...], dict[str, str]]:
    """The churn inputs the active sources stand behind, and those left out with why.

    Order features need an `order` or `order_line` source (without one there are no buyers to
    score); web features a `web_event` source; email features an `email_event` source.
    """
    registry = registry or get_registry()
    if not (registry.sources("order") or registry.sources("order_line")):
        raise NoOrderSourceError("predictions need an active order or order_line source; none is active")
    kept, left_out = list(ORDER_FEATURES), {}
    for entity, columns in (("web_event", WEB_FEATURES), ("email_event", EMAIL_FEATURES)):
        if registry.sources(entity):
            kept.extend(columns)
        else:
            left_out |= {column: f"no active source of entity {entity}" for column in columns}
    return tuple(kept), left_out


def describe_prediction_version(model_name: str, version: str, facts: dict[str, Any]) -> None:
    """Description and tags of a new churn or value version.

    facts: `chosen`, `logical_date`, `rows` (training population size) and `features`, plus any
    further tags (the run id, the validation date).
    """
    text = (
        f"{facts['chosen']} trained on {facts['logical_date']} from {facts['rows']} rows. Why this "
        "candidate won: `report/selection_decision.md` of the training run."
    )
    tags = facts | {"data_version": f"{facts['logical_date']}/{facts['rows']} rows"}
    describe_version(model_name, version, MODEL_DESCRIPTIONS[model_name], text, tags)
