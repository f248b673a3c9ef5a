"""Metrics and charts of the predictive models: classification quality, calibration, lift, value Gini.

Pure functions over arrays; the plots write PNG files for MLflow artifacts.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: workers have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score  # noqa: E402

DECILES = 10


def classification_metrics(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), Brier score, log loss and the base rate."""
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    both = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
    }


def decile_of(score: np.ndarray) -> np.ndarray:
    """Deciles 1 (lowest score) .. 10 (highest) by rank; ties broken by position, equal sizes."""
    s = np.asarray(score, dtype=float)
    if len(s) == 0:
        return np.zeros(0, dtype=int)
    ranks = np.argsort(np.argsort(s, kind="stable"), kind="stable")
    return (ranks * DECILES // len(s) + 1).astype(int)


def lift_table(y_true: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Per score decile (10 = riskiest): customers, mean predicted, observed rate and lift over the base rate."""
    frame = pd.DataFrame({"decile": decile_of(probability), "y": y_true, "p": probability})
    base = frame["y"].mean()
    table = frame.groupby("decile").agg(
        customers=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    table["lift"] = table["observed"] / base if base > 0 else np.nan
    return table.reset_index().sort_values("decile", ascending=False, ignore_index=True)


def calibration_table(y_true: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed rate against mean predicted probability in equal-width probability bins (non-empty only)."""
    observed, predicted = calibration_curve(y_true, probability, n_bins=bins, strategy="uniform")
    return pd.DataFrame({"predicted": predicted, "observed": observed})


def is_monotone(values: np.ndarray, tolerance: float = 0.0) -> bool:
    """Whether `values` never decrease by more than `tolerance`."""
    v = np.asarray(values, dtype=float)
    return bool(np.all(np.diff(v) >= -tolerance))


def normalized_gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini of `actual` ordered by `predicted`, over the Gini of `actual` ordered by itself (1 = perfect)."""

    def gini(a: np.ndarray, p: np.ndarray) -> float:
        order = np.lexsort((np.arange(len(p)), -p))  # highest prediction first, ties by position
        cumulative = np.cumsum(a[order]) / a.sum()
        return float(cumulative.sum() / len(a) - (len(a) + 1) / (2 * len(a)))

    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if len(a) == 0 or a.sum() == 0:
        return float("nan")
    return gini(a, p) / gini(a, a)


def value_decile_table(actual: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """Per predicted-value decile: customers, mean predicted, mean actual and their relative error.

    `actual_standard_error` is the standard error of the decile's mean actual (sd / sqrt(n)): how
    far a perfect model's decile could land from it by chance alone. A decile whose mean predicted
    and mean actual are both zero has relative error 0.
    """
    frame = pd.DataFrame({"decile": decile_of(predicted), "predicted": predicted, "actual": actual})
    table = frame.groupby("decile").agg(
        customers=("actual", "size"),
        predicted=("predicted", "mean"),
        actual=("actual", "mean"),
        actual_sd=("actual", "std"),
    )
    table["actual_standard_error"] = table.pop("actual_sd").fillna(0.0) / np.sqrt(table["customers"])
    error = (table["predicted"] - table["actual"]) / table["actual"].where(table["actual"] != 0)
    both_zero = (table["predicted"] == 0) & (table["actual"] == 0)
    table["relative_error"] = error.mask(both_zero, 0.0)
    return table.reset_index()


def plot_calibration(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Reliability diagram: observed against predicted, with the diagonal."""
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    ax.plot(table["predicted"], table["observed"], marker="o", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_lift(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Bar chart of the observed rate per score decile against the base rate."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ordered = table.sort_values("decile")
    ax.bar(ordered["decile"], ordered["observed"], color="#4c72b0", label="observed rate")
    ax.plot(ordered["decile"], ordered["predicted"], marker="o", color="#dd8452", label="mean predicted")
    base = float((ordered["observed"] * ordered["customers"]).sum() / ordered["customers"].sum())
    ax.axhline(base, linestyle="--", color="grey", label=f"base rate {base:.2f}")
    ax.set(xlabel="score decile (10 = highest)", ylabel="rate", title=title, xticks=range(1, DECILES + 1))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_value_deciles(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Mean predicted against mean actual value per predicted-value decile."""
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.4
    ax.bar(table["decile"] - width / 2, table["predicted"], width, label="mean predicted")
    ax.bar(table["decile"] + width / 2, table["actual"], width, label="mean actual")
    ax.set(xlabel="predicted value decile (10 = highest)", ylabel="spend per customer", title=title)
    ax.set_xticks(range(1, DECILES + 1))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
