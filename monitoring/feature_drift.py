"""Input drift: the PSI of each model input tonight against the reference stored with its champion.

Tonight's inputs are the bin counts scoring wrote to `marts.model_input_profiles`. When the
champion scored the date, its counts are compared with its own stored reference shares (read
from the registry). When another version scored it (the champion moved after scoring), that
version's counts are compared with the reference shares written beside them, and the detail says
so. One row per input, or one row for the whole model (`subject` "all inputs") when no
comparison can be made.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from customer_platform.drift import psi_from_shares, shares_of
from customer_platform.monitoring_settings import MonitoringThresholds
from monitoring.references import ChampionReference
from monitoring.results import FEATURE_PSI, INSUFFICIENT_HISTORY, NO_REFERENCE, Finding, classify

ALL_INPUTS = "all inputs"


def _model_row(model: str, version: str | None, status: str, detail: str, t: MonitoringThresholds) -> Finding:
    return Finding(
        FEATURE_PSI, model, version, ALL_INPUTS, None, t.psi_warning, t.psi_critical, status, detail
    )


def _largest_move(labels: list[str], expected: np.ndarray, actual: np.ndarray) -> str:
    moved = int(np.argmax(np.abs(actual - expected)))
    return f"largest move in bin {labels[moved]}: {expected[moved]:.1%} -> {actual[moved]:.1%}"


def feature_finding(
    model: str, version: str, feature: str, expected: np.ndarray, rows: pd.DataFrame, t: MonitoringThresholds,
    note: str = "",
) -> Finding:  # fmt: skip
    """The PSI row of one input: `rows` are its profile rows (bin order), `expected` the reference shares."""
    counts = rows["customers"].to_numpy(dtype="float64")
    if len(counts) != len(expected):
        return Finding(
            FEATURE_PSI, model, version, feature, None, t.psi_warning, t.psi_critical, NO_REFERENCE,
            f"the scored bins ({len(counts)}) do not match the reference ({len(expected)}){note}",
        )  # fmt: skip
    if counts.sum() == 0:
        return Finding(
            FEATURE_PSI, model, version, feature, None, t.psi_warning, t.psi_critical, NO_REFERENCE,
            f"no customer scored{note}",
        )  # fmt: skip
    actual = shares_of(counts)
    psi = psi_from_shares(expected, actual)
    detail = f"{int(counts.sum()):,} scored; {_largest_move(list(rows['bin_label']), expected, actual)}{note}"
    status = classify(psi, t.psi_warning, t.psi_critical)
    return Finding(FEATURE_PSI, model, version, feature, psi, t.psi_warning, t.psi_critical, status, detail)


def model_findings(
    model: str, champion: ChampionReference | None, profiles: pd.DataFrame, t: MonitoringThresholds
) -> list[Finding]:
    """The PSI rows of one registered model for the date of `profiles` (every model's profile rows)."""
    if champion is None:
        return [_model_row(model, None, INSUFFICIENT_HISTORY, "no champion registered yet", t)]
    if champion.references is None:
        return [
            _model_row(
                model, champion.version, NO_REFERENCE,
                f"champion v{champion.version} was registered before reference bins were stored with models; "
                "its next retraining stores them", t,
            )
        ]  # fmt: skip
    mine = profiles[profiles["model_name"] == model]
    if mine.empty:
        return [_model_row(model, champion.version, NO_REFERENCE, "no scored inputs for this date", t)]
    versions = set(mine["model_version"].astype(str))
    version = champion.version if champion.version in versions else max(versions, key=int)
    scored = mine[mine["model_version"].astype(str) == version]
    note = "" if version == champion.version else f" (scored by v{version}; champion is v{champion.version})"
    findings = []
    for feature, rows in scored.groupby("feature", sort=False):
        rows = rows.sort_values("bin_index")
        if version == champion.version and feature in champion.references:
            expected = np.asarray(champion.references[feature]["shares"], dtype="float64")
        else:
            expected = rows["reference_share"].to_numpy(dtype="float64")
        findings.append(feature_finding(model, version, str(feature), expected, rows, t, note))
    if version == champion.version:
        unscored = [f for f in champion.references if f not in set(scored["feature"])]
        findings += [
            Finding(FEATURE_PSI, model, version, f, None, t.psi_warning, t.psi_critical, NO_REFERENCE,
                    "an input of the champion that scoring did not profile")
            for f in unscored
        ]  # fmt: skip
    return findings


def feature_findings(
    champions: Mapping[str, ChampionReference | None], profiles: pd.DataFrame, t: MonitoringThresholds
) -> list[Finding]:
    """PSI rows of every model in `champions` (model name -> its champion or None)."""
    return [f for model, champion in champions.items() for f in model_findings(model, champion, profiles, t)]
