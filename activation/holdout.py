"""Holdout groups: a deterministic, salted hash of (audience, customer), and a balance check.

A customer's group depends only on the audience name, their unified id and the secret
`CDP_HASH_SALT`: the same on every run and re-run, independent of who else is in the
audience, and unguessable without the salt. Holdout members are never exported; they are
what the campaign is measured against (`activation.measurement`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

log = logging.getLogger(__name__)

#: Below this p-value a mix differs between holdout and treatment by more than chance suggests.
BALANCE_ALPHA = 0.01


def holdout_draw(audience: str, customer_id: str, salt: str) -> float:
    """A uniform number in [0, 1) fixed by (salt, audience, customer)."""
    digest = hashlib.sha256(f"{salt}\x1f{audience}\x1f{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_holdout(audience: str, customer_ids: Iterable[str], share: float, salt: str) -> np.ndarray:
    """True for the customers held out of `audience` (about `share` of them)."""
    return np.array([holdout_draw(audience, c, salt) < share for c in customer_ids], dtype=bool)


def balance_check(members: pd.DataFrame, columns: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per column: chi-square p-value of its mix, holdout against treatment, and whether it is balanced.

    members: one row per member with `is_holdout` and the columns (nulls count as a level).
    A column with one level, or a group with no members, has nothing to compare (p = 1).
    """
    out: dict[str, dict[str, float]] = {}
    for column in columns:
        if column not in members:
            continue
        table = pd.crosstab(members[column].fillna("(none)"), members["is_holdout"])
        if table.shape[0] < 2 or table.shape[1] < 2:
            p_value = 1.0
        else:
            p_value = float(chi2_contingency(table.to_numpy())[1])
        out[column] = {"p_value": p_value, "balanced": float(p_value >= BALANCE_ALPHA)}
    return out
