"""Reference bins and the population stability index (PSI), pure: numpy in, numbers out.

A model's reference is fixed when it is trained and stored with the registered version (its
metadata under `REFERENCE_BINS_KEY` and the run artifact `REFERENCE_ARTIFACT`), so every later
night compares the inputs it scores with the same bins. Per input column:

- `edges`: interior cut points; value bin i holds edges[i-1] < x <= edges[i] (the outer bins are
  open, so values beyond the training range land in them). A column with more distinct values
  than `bins` gets the deciles (by default) of its training values, ties merged; a discrete column
  (at most `bins` distinct values) gets one bin per value (cut points half-way between them); a
  constant column has no cut point (one value bin).
- `shares`: the training share of each value bin, then of the missing bin (NaN / null), so the
  shares add up to 1 and a rise in missing values counts as drift like any other shift.

PSI = sum over bins of (a - e) * ln(a / e), e the reference share and a today's share. An empty
bin would make the logarithm infinite, so both shares are floored at `SHARE_FLOOR` (0.0001, one
customer in ten thousand) before the sum and not renormalised: an empty bin then adds a finite
term that grows with the other share, and a bin empty on both sides adds 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Where a registered version keeps its reference bins: model metadata key and run artifact.
REFERENCE_BINS_KEY = "reference_bins"
REFERENCE_ARTIFACT = "reference_bins.json"
DEFAULT_BINS = 10
#: Floor of a bin share in the PSI sum (module doc).
SHARE_FLOOR = 1e-4
QUANTILE = "quantile"
DISCRETE = "discrete"
MISSING_LABEL = "missing"
#: Significant digits kept of a cut point (see `column_reference`).
EDGE_DIGITS = 9


def _numeric(values: Iterable[Any]) -> np.ndarray:
    """Float values; None and NaN become NaN (missing)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="object")
    return pd.to_numeric(series, errors="raise").to_numpy(dtype="float64", na_value=np.nan)


def column_reference(values: Iterable[Any], bins: int = DEFAULT_BINS) -> dict[str, Any]:
    """The reference of one column: kind, cut points, shares per value bin then missing, rows."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    x = _numeric(values)
    present = x[~np.isnan(x)]
    finite = present[np.isfinite(present)]
    distinct = np.unique(finite)
    if len(distinct) <= bins:
        kind, edges = DISCRETE, (distinct[:-1] + distinct[1:]) / 2.0
    else:
        kind = QUANTILE
        edges = np.unique(np.quantile(finite, np.arange(1, bins) / bins))
    # Cut points to EDGE_DIGITS significant digits: inputs summed in another order differ in their
    # last bits, and a reference must not depend on that (a re-run or backfill gives the same bins).
    cut_points = sorted({float(f"{e:.{EDGE_DIGITS}g}") for e in edges})
    reference = {"kind": kind, "edges": cut_points, "rows": int(len(x))}
    counts = bin_counts(reference, x)
    reference["shares"] = [float(s) for s in counts / max(len(x), 1)]
    return reference


def reference_bins(frame: pd.DataFrame, columns: Sequence[str], bins: int = DEFAULT_BINS) -> dict[str, dict]:
    """Per column of `frame`, its reference (`column_reference`): what training stores with a model."""
    missing = [c for c in columns if c not in frame]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    return {column: column_reference(frame[column], bins) for column in columns}


def bin_counts(reference: dict[str, Any], values: Iterable[Any]) -> np.ndarray:
    """Rows per value bin of `reference`, then the missing rows (length len(edges) + 2)."""
    x = _numeric(values)
    edges = np.asarray(reference["edges"], dtype="float64")
    missing = np.isnan(x)
    # side="left": the first edge >= x, so bin i holds edges[i-1] < x <= edges[i].
    positions = np.searchsorted(edges, x[~missing], side="left")
    counts = np.bincount(positions, minlength=len(edges) + 1).astype("int64")
    return np.append(counts, int(missing.sum()))


def bin_labels(reference: dict[str, Any]) -> list[str]:
    """Readable bin names: `(-inf, 3]`, `(3, 7.5]`, ..., `(12, inf)`, then `missing`."""
    edges = [f"{e:.6g}" for e in reference["edges"]]
    bounds = ["-inf", *edges, "inf"]
    labels = [f"({low}, {high}]" for low, high in zip(bounds[:-1], bounds[1:], strict=True)]
    labels[-1] = labels[-1][:-1] + ")"
    return [*labels, MISSING_LABEL]


def shares_of(counts: Sequence[float]) -> np.ndarray:
    """Counts as shares of their total (zeros when the total is 0)."""
    c = np.asarray(counts, dtype="float64")
    total = c.sum()
    return c / total if total > 0 else np.zeros_like(c)


def psi_from_shares(expected: Sequence[float], actual: Sequence[float], floor: float = SHARE_FLOOR) -> float:
    """sum((a - e) * ln(a / e)) over bins, both shares floored at `floor` (module doc)."""
    e = np.maximum(np.asarray(expected, dtype="float64"), floor)
    a = np.maximum(np.asarray(actual, dtype="float64"), floor)
    if e.shape != a.shape:
        raise ValueError(f"shares differ in length: {e.shape} != {a.shape}")
    return float(np.sum((a - e) * np.log(a / e)))


def population_stability_index(reference: dict[str, Any], values: Iterable[Any]) -> float:
    """PSI of `values` against one column's stored reference; NaN when there is no value to compare."""
    counts = bin_counts(reference, values)
    if counts.sum() == 0:
        return float("nan")
    return psi_from_shares(reference["shares"], shares_of(counts))
