"""Train both predictive models for one logical date: churn (`customer_churn`) and value (`customer_clv`).

The churn horizon (`CDP_CHURN_HORIZON_DAYS`, default 90) is both the churn label's window and
the value model's holdout. The distribution of days between a customer's purchases is logged
with every training (`interpurchase_gap_*`): a horizon that covers most gaps (the default 90
days covers 89 % of the demo's) makes "no purchase in the horizon" mean gone, not pausing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import mlflow

from customer_platform.config import get_settings
from customer_platform.warehouse_tables import warehouse_reader
from models.features import parse_logical_date
from models.prediction.churn import ChurnConfig, first_purchase, plan_observation_dates
from models.prediction.churn_training import ChurnTrainResult, train_churn
from models.prediction.registered_models import CHURN_EXPERIMENT, churn_features
from models.prediction.snapshot import interpurchase_gaps
from models.prediction.value_training import ValueTrainResult, train_value
from models.tracking import configure_mlflow

log = logging.getLogger(__name__)
#: Below this share of purchase gaps inside the horizon, training warns that the horizon is short.
MIN_GAPS_WITHIN_HORIZON = 0.75


@dataclass(frozen=True)
class PredictionTrainResult:
    """Both trainings of one logical date."""

    logical_date: str
    churn: ChurnTrainResult
    value: ValueTrainResult
    gaps: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "logical_date": self.logical_date,
            "churn": self.churn.summary(),
            "clv": self.value.summary(),
            "interpurchase_gaps": self.gaps,
        }


def default_config() -> ChurnConfig:
    """The churn configuration from settings and the active sources."""
    features, left_out = churn_features()
    return ChurnConfig(
        horizon_days=get_settings().churn_horizon_days,
        features=features,
        extra={"features_left_out": left_out},
    )


def train_predictions(
    logical_date: str, promote: bool = True, config: ChurnConfig | None = None
) -> PredictionTrainResult:
    """Train, log, register and (by each rule) promote the churn and value models."""
    settings = get_settings()
    day = parse_logical_date(logical_date)
    config = config or default_config()
    configure_mlflow(CHURN_EXPERIMENT)
    with warehouse_reader() as con:
        plan = plan_observation_dates(day, first_purchase(con), config)
        gaps = interpurchase_gaps(con, day, config.horizon_days)
        if gaps["within_horizon"] < MIN_GAPS_WITHIN_HORIZON:
            log.warning(
                "only %.0f %% of purchase gaps fit in the %d-day churn horizon (p90 %.0f days): "
                "consider a longer CDP_CHURN_HORIZON_DAYS",
                100 * gaps["within_horizon"], config.horizon_days, gaps["p90"],
            )  # fmt: skip
        facts = {
            "plan": plan.__dict__,
            "interpurchase_gaps": gaps,
            "features_left_out": dict(config.extra.get("features_left_out", {})),
        }
        churn = train_churn(con, plan, config, settings.seed, promote, facts)
        with mlflow.start_run(run_id=churn.run_id):
            mlflow.log_metrics({f"interpurchase_gap_{k}": v for k, v in gaps.items() if v == v})
        value = train_value(con, plan, config.horizon_days, settings.seed, promote, churn.model_version)
    return PredictionTrainResult(day.isoformat(), churn, value, gaps)
