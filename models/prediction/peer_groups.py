"""Peer groups of the lifetime-value model: latent classes of spend per purchase day.

One BG/NBD + Gamma-Gamma population assumes one unimodal spread of purchase rates and of mean
spends. A customer base that mixes a few premium buyers with many small-basket ones breaks
that: Gamma-Gamma shrinks a small spender toward a mean the premium buyers raise, and BG/NBD's
single rate and dropout mixture, dominated by the many, shrinks the premium buyers' rates
toward theirs. Peer groups give each customer a prior of people like them: a Gaussian mixture
on log mean spend per purchase day (as of the fit date, so no later fact enters), its number
of components chosen by BIC among those leaving every group enough repeat buyers for its own
fit; each group then gets its own BG/NBD and Gamma-Gamma (`models.prediction.clv`). A customer
belongs to the component of highest posterior probability. Pure functions: no warehouse, no
MLflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.mixture import GaussianMixture

MAX_PEER_GROUPS = 4
#: Spend per purchase day below this counts as this before the log (returns can net to ~0).
SPEND_FLOOR = 1.0
MIXTURE_STARTS = 3


def log_spend(monetary_value: np.ndarray | pd.Series) -> np.ndarray:
    """The mixture's one feature: log of the mean spend per purchase day, floored."""
    return np.log(np.clip(np.asarray(monetary_value, dtype=float), SPEND_FLOOR, None))


def assign_peer_groups(
    monetary_value: np.ndarray | pd.Series, means: np.ndarray, sds: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The index of each customer's most probable mixture component (log weight + log density)."""
    x = log_spend(monetary_value)[:, None]
    mu, sd, w = (np.asarray(v, dtype=float)[None, :] for v in (means, sds, weights))
    score = np.log(w) - np.log(sd) - 0.5 * ((x - mu) / sd) ** 2
    return np.argmax(score, axis=1) if len(x) else np.zeros(0, dtype=int)


def _components(mixture: GaussianMixture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(mixture.means_.ravel())  # groups numbered from the lowest spend up
    means = mixture.means_.ravel()[order]
    sds = np.sqrt(mixture.covariances_.ravel()[order])
    return means, sds, mixture.weights_[order]


def find_peer_groups(
    summary: pd.DataFrame, seed: int, min_repeat_buyers: int, max_groups: int = MAX_PEER_GROUPS
) -> list[dict[str, float]]:
    """Mixture components (`log_spend_mean`, `log_spend_sd`, `weight`) by BIC, each with enough repeat buyers.

    summary: the BTYD summary (`frequency`, `monetary_value`); a single group when no split
    leaves `min_repeat_buyers` repeat buyers in every group.
    """
    spend = summary["monetary_value"].to_numpy(dtype=float)
    repeat = summary["frequency"].to_numpy(dtype=float) > 0
    x = log_spend(spend)[:, None]
    fits = []
    for k in range(1, max(1, min(max_groups, len(np.unique(x)))) + 1):
        mixture = GaussianMixture(k, random_state=seed, n_init=MIXTURE_STARTS).fit(x)
        fits.append((mixture.bic(x), k, _components(mixture)))

    def feasible(fit) -> bool:
        _, k, (means, sds, weights) = fit
        labels = assign_peer_groups(spend, means, sds, weights)
        return k == 1 or np.bincount(labels[repeat], minlength=k).min() >= min_repeat_buyers

    _, _, (means, sds, weights) = min(filter(feasible, fits), key=lambda fit: (fit[0], fit[1]))
    return [
        {"log_spend_mean": float(m), "log_spend_sd": float(s), "weight": float(w)}
        for m, s, w in zip(means, sds, weights, strict=True)
    ]


def peer_group_of(summary: pd.DataFrame, groups: list[dict[str, float]] | tuple) -> np.ndarray:
    """The peer group (index into `groups`) of each row of a BTYD summary."""
    means, sds, weights = (
        np.array([g[key] for g in groups]) for key in ("log_spend_mean", "log_spend_sd", "weight")
    )
    return assign_peer_groups(summary["monetary_value"].to_numpy(dtype=float), means, sds, weights)
