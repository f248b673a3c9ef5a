"""Segment checks from `marts.segment_history`: size shift, share change per segment, stability.

Each logical date is read at its newest model version (what the night published). Tonight is
compared with the latest earlier scored date:
- `segment_size_shift`: the PSI over the share of customers per segment (segments are the bins,
  every segment of either date included, floor as in `customer_platform.drift`);
- `segment_share_change`: per segment, tonight's share minus the previous one, in percentage
  points (a segment new tonight had 0 %, a segment gone has 0 % tonight);
- `segmentation_stability`: the adjusted Rand index between the two dates' assignments of the
  customers present on both (what segment scoring logs to MLflow, recomputed from the history),
  lower is worse.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from customer_platform.drift import psi_from_shares
from customer_platform.monitoring_settings import MonitoringThresholds
from customer_platform.warehouse_tables import table_exists
from monitoring.results import (
    INSUFFICIENT_HISTORY,
    SEGMENT_SHARE_CHANGE,
    SEGMENT_SIZE_SHIFT,
    SEGMENTATION_STABILITY,
    SEGMENTS_SUBJECT_MODEL,
    Finding,
    classify,
)

HISTORY_TABLE = "marts.segment_history"
ALL_SEGMENTS = "all segments"
ASSIGNMENTS = "all customers on both dates"


def published_assignments(con: duckdb.DuckDBPyConnection, day: dt.date) -> tuple[str | None, pd.DataFrame]:
    """(model version, unified_customer_id / segment_id / segment_name) of one date's newest model version."""
    frame = con.execute(
        f"select unified_customer_id, segment_id, segment_name, cast(model_version as varchar) as model_version "
        f"from {HISTORY_TABLE} where logical_date = ? and model_version = "
        f"(select max(model_version) from {HISTORY_TABLE} where logical_date = ?)",
        [day, day],
    ).df()
    version = str(frame["model_version"].iloc[0]) if len(frame) else None
    return version, frame.drop(columns="model_version")


def previous_date(con: duckdb.DuckDBPyConnection, day: dt.date) -> dt.date | None:
    """The latest scored date before `day`, or None."""
    return con.execute(
        f"select max(logical_date) from {HISTORY_TABLE} where logical_date < ?", [day]
    ).fetchall()[0][0]


def _shift_row(version: str | None, status: str, detail: str, t: MonitoringThresholds) -> Finding:
    return Finding(
        SEGMENT_SIZE_SHIFT, SEGMENTS_SUBJECT_MODEL, version, ALL_SEGMENTS, None,
        t.segment_shift_warning, t.segment_shift_critical, status, detail,
    )  # fmt: skip


def share_findings(
    today: pd.DataFrame, before: pd.DataFrame, version: str, t: MonitoringThresholds, previous: str
) -> list[Finding]:
    """The size-shift row and one share-change row per segment.

    today / before: one assignment per customer; previous: how the details name the earlier run.
    """
    counts = pd.concat(
        {"today": today["segment_name"].value_counts(), "before": before["segment_name"].value_counts()},
        axis=1,
    ).fillna(0)
    counts = counts.sort_index()
    shares = counts / counts.sum()
    psi = psi_from_shares(shares["before"].to_numpy(), shares["today"].to_numpy())
    moved = (shares["today"] - shares["before"]).abs().idxmax()
    findings = [
        Finding(
            SEGMENT_SIZE_SHIFT, SEGMENTS_SUBJECT_MODEL, version, ALL_SEGMENTS, psi,
            t.segment_shift_warning, t.segment_shift_critical,
            classify(psi, t.segment_shift_warning, t.segment_shift_critical),
            f"{len(counts)} segments, {len(before):,} -> {len(today):,} customers vs {previous}; "
            f"largest move: {moved}",
        )
    ]  # fmt: skip
    for segment, row in shares.iterrows():
        points = 100.0 * (row["today"] - row["before"])
        findings.append(
            Finding(
                SEGMENT_SHARE_CHANGE, SEGMENTS_SUBJECT_MODEL, version, str(segment), points,
                t.segment_share_warning_pp, t.segment_share_critical_pp,
                classify(abs(points), t.segment_share_warning_pp, t.segment_share_critical_pp),
                f"{row['before']:.1%} -> {row['today']:.1%} ({int(counts.loc[segment, 'before']):,} -> "
                f"{int(counts.loc[segment, 'today']):,} customers) vs {previous}",
            )
        )  # fmt: skip
    return findings


def stability_finding(
    today: pd.DataFrame, before: pd.DataFrame, version: str, t: MonitoringThresholds, previous: str
) -> Finding:
    """The ARI row over the customers assigned on both dates."""
    both = today.merge(before, on="unified_customer_id", suffixes=("", "_before"))
    warning, critical = t.stability_ari_warning, t.stability_ari_critical
    if len(both) < 2:
        return Finding(
            SEGMENTATION_STABILITY, SEGMENTS_SUBJECT_MODEL, version, ASSIGNMENTS, None, warning, critical,
            INSUFFICIENT_HISTORY, f"{len(both)} customers assigned on both {previous} and tonight",
        )  # fmt: skip
    ari = float(adjusted_rand_score(both["segment_id_before"].to_numpy(), both["segment_id"].to_numpy()))
    moved = float(np.mean(both["segment_id_before"].to_numpy() != both["segment_id"].to_numpy()))
    return Finding(
        SEGMENTATION_STABILITY, SEGMENTS_SUBJECT_MODEL, version, ASSIGNMENTS, ari, warning, critical,
        classify(ari, warning, critical, lower_is_worse=True),
        f"adjusted Rand index vs {previous} over {len(both):,} customers; {moved:.1%} changed segment",
    )  # fmt: skip


def segment_findings(con: duckdb.DuckDBPyConnection, day: dt.date, t: MonitoringThresholds) -> list[Finding]:
    """Size shift, share changes and stability of `day` against the previous scored date."""
    if not table_exists(con, HISTORY_TABLE):
        return [_shift_row(None, INSUFFICIENT_HISTORY, "no segments scored yet", t)]
    version, today = published_assignments(con, day)
    if today.empty:
        return [_shift_row(None, INSUFFICIENT_HISTORY, f"no segments scored for {day}", t)]
    previous = previous_date(con, day)
    if previous is None:
        return [
            _shift_row(version, INSUFFICIENT_HISTORY, "the first scored date: nothing to compare with", t)
        ]
    previous_version, before = published_assignments(con, previous)
    label = f"{previous} (v{previous_version})"
    return [
        *share_findings(today, before, version, t, label),
        stability_finding(today, before, version, t, label),
    ]
