"""Lifetime value: BG/NBD (purchases and P(alive)) and Gamma-Gamma (spend per purchase) from PyMC-Marketing.

Both are fitted by maximum a posteriori (`method="map"`, seconds even at 1M customers) on the
buy-till-you-die summary of `models.prediction.snapshot.btyd_summary`: one transaction per
purchase day, in days. The fitted parameters are all a model is; `CustomerValueModel` (an
MLflow pyfunc) carries them and rebuilds the library's models around any customers to
predict, so no customer row is stored with the registered model.

Evaluation is calibration / holdout: fit on the summary as of V = L - horizon, predict the
purchases and spend of (V, L], compare with what each customer did.

Two candidates share one fit and differ in what tells them whether a customer is still there:
- `btyd`: BG/NBD's P(alive) from frequency, recency and age alone.
- `btyd_churn_evidence`: P(alive) re-weighted by the churn model's calibrated probability of a
  purchase in the churn horizon H. BG/NBD factors P(a purchase in H) = P(alive) x P(a purchase
  in H | alive); keeping BG/NBD's conditional part and taking P(a purchase in H) from the
  classifier (which sees more of each customer's behaviour) gives
  P(alive)' = min(1, P(alive) x (1 - churn) / (1 - P0(H))), P0 = BG/NBD's P(no purchase in H),
  and scales expected purchases and value by P(alive)' / P(alive). Where the classifier agrees
  with BG/NBD the two candidates coincide. A single BG/NBD population cannot tell a lapsed
  customer from a slow one when the population mixes fast and slow buyers; the classifier,
  trained on earlier dates' outcomes, can.
- `btyd_peer_groups`: the churn-evidence model fitted per peer group (`models.prediction.peer_groups`,
  latent classes of spend per purchase day): each customer's rates and mean spend are shrunk
  toward people like them instead of toward one population mixing premium and small baskets.
The candidate with the lowest holdout spend MAE is registered; all are logged.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import arviz as az
import mlflow.pyfunc
import numpy as np
import pandas as pd

from models.prediction.churn import InsufficientHistoryError
from models.prediction.peer_groups import find_peer_groups, peer_group_of

log = logging.getLogger(__name__)

BTYD_INPUTS: tuple[str, ...] = ("frequency", "recency", "T", "monetary_value")
MIN_REPEAT_BUYERS = 20
ORDERS_DAYS = 90  # expected_orders_90d
CLV_MONTHS = 12  # predicted_clv_12m
OUTPUTS: tuple[str, ...] = ("p_alive", "expected_orders_90d", "expected_spend_per_order", "predicted_clv_12m")
#: The input column of the churn-evidence candidate: the churn model's probability of no purchase in H.
CHURN_INPUT = "churn_probability"
PLAIN = "btyd"
CHURN_EVIDENCE = "btyd_churn_evidence"
PEER_GROUPS = "btyd_peer_groups"
VALUE_CANDIDATES: tuple[str, ...] = (PLAIN, CHURN_EVIDENCE, PEER_GROUPS)
_WITH_CHURN = (CHURN_EVIDENCE, PEER_GROUPS)


def _library():
    # PyMC-Marketing imports PyMC and PyTensor (seconds); only the CLV code pays for it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    return BetaGeoModel, GammaGammaModel


def _with_ids(summary: pd.DataFrame) -> pd.DataFrame:
    data = summary[list(BTYD_INPUTS)].astype("float64").reset_index(drop=True)
    data.insert(0, "customer_id", np.arange(len(data)))
    return data


def _spend_data(data: pd.DataFrame) -> pd.DataFrame:
    # Gamma-Gamma on every purchase day (the first included): with only repeat purchases, a
    # one-time buyer's expected spend is the population mean, which heavy-tailed spend
    # (q < 1) makes infinite. Net spend can be negative (returns): floored at a penny.
    return data.assign(
        frequency=data["frequency"] + 1, monetary_value=data["monetary_value"].clip(lower=0.01)
    )


def _map_parameters(model) -> dict[str, float]:
    return {
        name: float(np.asarray(model.idata.posterior[name]).ravel()[0])
        for name in model.idata.posterior.data_vars
    }


@dataclass(frozen=True)
class ValueParameters:
    """MAP parameters of the BG/NBD and Gamma-Gamma models, and the candidate that uses them.

    evidence_horizon_days: the churn horizon H of the candidates using the churn model (0 for `btyd`);
    peer_groups: per group, its mixture component and its own `purchases` and `spend` parameters.
    """

    purchases: dict[str, float]
    spend: dict[str, float]
    candidate: str = PLAIN
    evidence_horizon_days: int = 0
    peer_groups: tuple[dict, ...] = ()

    def __post_init__(self) -> None:
        if self.candidate not in VALUE_CANDIDATES:
            raise ValueError(
                f"unknown value candidate {self.candidate!r}; known: {', '.join(VALUE_CANDIDATES)}"
            )
        if self.candidate in _WITH_CHURN and self.evidence_horizon_days <= 0:
            raise ValueError(f"{self.candidate} needs evidence_horizon_days > 0")
        if self.candidate == PEER_GROUPS and not self.peer_groups:
            raise ValueError(f"{PEER_GROUPS} needs peer_groups")

    @property
    def uses_churn(self) -> bool:
        """Whether predictions need the churn model's probability (`CHURN_INPUT`)."""
        return self.candidate in _WITH_CHURN

    def as_candidate(self, candidate: str, horizon_days: int) -> ValueParameters:
        """The same fit as another candidate."""
        horizon = horizon_days if candidate in _WITH_CHURN else 0
        return ValueParameters(self.purchases, self.spend, candidate, horizon, self.peer_groups)

    def as_metrics(self) -> dict[str, float]:
        """Parameters as MLflow metrics (`bgnbd_r`, `gamma_gamma_p`, `peer_group_1_bgnbd_r`, ...)."""
        metrics = _prefixed("", self.purchases, self.spend)
        if self.candidate == PEER_GROUPS:
            for i, group in enumerate(self.peer_groups, start=1):
                metrics |= _prefixed(f"peer_group_{i}_", group["purchases"], group["spend"])
                metrics |= {f"peer_group_{i}_{k}": v for k, v in group.items() if isinstance(v, float)}
        return metrics


def _prefixed(prefix: str, purchases: dict[str, float], spend: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}bgnbd_{k}": v for k, v in purchases.items()} | {
        f"{prefix}gamma_gamma_{k}": v for k, v in spend.items()
    }


def fit_value_models(summary: pd.DataFrame, seed: int) -> ValueParameters:
    """Fit BG/NBD and Gamma-Gamma on every buyer, and again within each peer group, by MAP."""
    repeaters = int((summary["frequency"] > 0).sum())
    if repeaters < MIN_REPEAT_BUYERS:
        raise InsufficientHistoryError(
            f"lifetime value needs {MIN_REPEAT_BUYERS} or more repeat buyers; found {repeaters}"
        )
    groups = find_peer_groups(summary, seed, MIN_REPEAT_BUYERS)
    labels = peer_group_of(summary, groups)
    fitted = []
    for i, group in enumerate(groups):
        own = _fit_btyd(summary[labels == i], seed)
        fitted.append(group | {"purchases": own[0], "spend": own[1]})
    return ValueParameters(*_fit_btyd(summary, seed), peer_groups=tuple(fitted))


def _fit_btyd(summary: pd.DataFrame, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    beta_geo, gamma_gamma = _library()
    data = _with_ids(summary)
    spenders = _spend_data(data)[data["monetary_value"].to_numpy() > 0].reset_index(drop=True)
    np.random.seed(seed)  # the optimiser starts from the model's initial point; seeded for repeatability
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = beta_geo(data=data)
        purchases.fit(method="map", progressbar=False)
        spend = gamma_gamma(data=spenders)
        spend.fit(method="map", progressbar=False)
    return _map_parameters(purchases), _map_parameters(spend)


def _restore(model_class, parameters: dict[str, float], data: pd.DataFrame):
    model = model_class(data=data)
    model.build_model()
    model.idata = az.from_dict(posterior={k: np.array([[v]]) for k, v in parameters.items()})
    return model


def alive_scale(p_alive: np.ndarray, p_no_purchase: np.ndarray, churn_probability: np.ndarray) -> np.ndarray:
    """P(alive)' / P(alive) of the churn-evidence candidate; pure.

    P(alive)' = min(1, P(alive) x (1 - churn) / (1 - P0)): BG/NBD's P(a purchase in H | alive)
    kept, P(a purchase in H) taken from the churn model. 1 where the two agree; a customer
    BG/NBD gives no chance of a purchase (P0 = 1) keeps BG/NBD's figures.
    """
    alive = np.asarray(p_alive, dtype=float)
    buy_bg = 1.0 - np.asarray(p_no_purchase, dtype=float)
    buy = 1.0 - np.clip(np.asarray(churn_probability, dtype=float), 0.0, 1.0)
    if np.isnan(buy).any():
        raise ValueError(f"{CHURN_INPUT} has missing values; every customer needs a churn probability")
    with np.errstate(divide="ignore", invalid="ignore"):
        adjusted = np.minimum(1.0, alive * buy / buy_bg)
        scale = np.where((buy_bg > 0) & (alive > 0), adjusted / alive, 1.0)
    return scale


def p_purchase_in(parameters: ValueParameters, summary: pd.DataFrame, days: int) -> np.ndarray:
    """BG/NBD's probability of at least one purchase in the next `days`, per row of `summary`."""
    beta_geo, _ = _library()
    data = _with_ids(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = _restore(beta_geo, parameters.purchases, data)
        return 1.0 - np.asarray(purchases.expected_probability_no_purchase(data=data, t=days)).ravel()


def predict_value(
    parameters: ValueParameters,
    summary: pd.DataFrame,
    horizon_days: int = ORDERS_DAYS,
    churn_probability: np.ndarray | None = None,
) -> pd.DataFrame:
    """P(alive), expected purchases in `horizon_days`, expected spend per purchase and 12-month value.

    Rows align with `summary`'s; the 12-month value is undiscounted. `churn_probability` (aligned
    with `summary`) is required by the candidates using the churn model and ignored by the plain one.
    """
    beta_geo, gamma_gamma = _library()
    data = _with_ids(summary)
    if data.empty:
        return pd.DataFrame(columns=list(OUTPUTS), dtype="float64")
    if parameters.uses_churn and (churn_probability is None or len(churn_probability) != len(data)):
        raise ValueError(
            f"the {parameters.candidate} value model needs {CHURN_INPUT} for each of the {len(data)} customers"
        )
    if parameters.candidate == PEER_GROUPS:
        return _predict_per_peer_group(
            parameters, data, horizon_days, np.asarray(churn_probability, dtype=float)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = _restore(beta_geo, parameters.purchases, data)
        spend_data = _spend_data(data)
        spend = _restore(gamma_gamma, parameters.spend, spend_data)
        per_order = np.asarray(spend.expected_customer_spend(data=spend_data)).ravel()
        value = spend.expected_customer_lifetime_value(
            transaction_model=purchases,
            data=spend_data,
            future_t=CLV_MONTHS,
            discount_rate=0.0,
            time_unit="D",
        )
        p_alive = np.asarray(purchases.expected_probability_alive(data=data)).ravel()
        orders = np.asarray(purchases.expected_purchases(data=data, future_t=horizon_days)).ravel()
        scale = np.ones(len(data))
        if parameters.uses_churn:
            p_none = np.asarray(
                purchases.expected_probability_no_purchase(data=data, t=parameters.evidence_horizon_days)
            ).ravel()
            scale = alive_scale(p_alive, p_none, np.asarray(churn_probability, dtype=float))
        return pd.DataFrame(
            {
                "p_alive": p_alive * scale,
                "expected_orders_90d": orders * scale,
                "expected_spend_per_order": per_order,
                "predicted_clv_12m": np.asarray(value).ravel() * scale,
            }
        )


def _predict_per_peer_group(
    parameters: ValueParameters, data: pd.DataFrame, horizon_days: int, churn_probability: np.ndarray
) -> pd.DataFrame:
    # Each customer gets the churn-evidence predictions of their own peer group's fit.
    labels = peer_group_of(data, parameters.peer_groups)
    out = pd.DataFrame(np.nan, index=data.index, columns=list(OUTPUTS))
    for i in np.unique(labels):
        group = parameters.peer_groups[i]
        own = ValueParameters(
            group["purchases"], group["spend"], CHURN_EVIDENCE, parameters.evidence_horizon_days
        )
        rows = labels == i
        predicted = predict_value(own, data[rows], horizon_days, churn_probability[rows])
        out.loc[rows, list(OUTPUTS)] = predicted[list(OUTPUTS)].to_numpy()
    return out


class CustomerValueModel(mlflow.pyfunc.PythonModel):
    """The registered lifetime-value model: BG/NBD + Gamma-Gamma MAP parameters; predicts `OUTPUTS`."""

    def __init__(self, parameters: ValueParameters) -> None:
        self.purchases = dict(parameters.purchases)
        self.spend = dict(parameters.spend)
        self.candidate = parameters.candidate
        self.evidence_horizon_days = parameters.evidence_horizon_days
        self.peer_groups = parameters.peer_groups

    @property
    def parameters(self) -> ValueParameters:
        """The fitted parameters (versions saved before candidates existed are `btyd`)."""
        candidate, horizon = getattr(self, "candidate", PLAIN), getattr(self, "evidence_horizon_days", 0)
        return ValueParameters(
            self.purchases, self.spend, candidate, horizon, getattr(self, "peer_groups", ())
        )

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:  # noqa: ARG002
        """Predictions for rows with the `BTYD_INPUTS` columns (and `CHURN_INPUT` when the model uses it)."""
        frame = pd.DataFrame(model_input)
        parameters = self.parameters
        if parameters.uses_churn and CHURN_INPUT not in frame:
            raise ValueError(f"the {parameters.candidate} value model needs a {CHURN_INPUT} column")
        churn = frame[CHURN_INPUT].to_numpy(dtype=float) if parameters.uses_churn else None
        return predict_value(parameters, frame, churn_probability=churn)
