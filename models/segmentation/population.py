"""Lifecycle first, clusters second: who the ML segmentation clusters, and everyone else's segment.

Every unified customer has a rule-based lifecycle stage (`marts.customer_lifecycle`, built by
dbt; the stages and thresholds are documented in the README). Clustering only makes sense
for customers with behaviour to cluster, so the ML segmentation takes the customers who
are **known** (hold an identifier other than an anonymous cookie) and have **at least
`MIN_ORDERS` orders in the feature window** (`frequency`, the RFM window). A deployment
without an order source has no orders to count: there, known customers with any web or
email activity are clustered. Everyone else carries their lifecycle stage as their
segment, with a fixed negative id, a name and a persona line (`LIFECYCLE_SEGMENTS`), so
every customer has exactly one row in `marts.customer_segments` and a marketer never gets
an anonymous cookie in an ML segment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_platform.warehouse_tables import table_exists, warehouse_reader
from models.features import KEY_COLUMN

LIFECYCLE_TABLE = "marts.customer_lifecycle"
#: Orders in the feature window a customer needs to be clustered.
MIN_ORDERS = 1
ML_KIND = "ml"
#: Feature columns the behaviour rule reads (`has_behaviour`): orders first, then activity.
BEHAVIOUR_COLUMNS: tuple[str, ...] = ("frequency", "sessions", "emails_sent")
LIFECYCLE_KIND = "lifecycle"

#: Stage -> (segment id, segment name, persona line) of the customers not clustered.
LIFECYCLE_SEGMENTS: dict[str, tuple[int, str, str]] = {
    "anonymous": (
        -1,
        "Anonymous visitors",
        "known only by a browser cookie: no email, phone, account or card to reach them",
    ),
    "prospect": (-2, "Prospects", "known contacts who have not ordered yet"),
    "new": (-3, "Recently acquired", "first order lately, but none in the feature window"),
    "active": (-4, "Active customers", "ordering on cadence, but no order in the feature window"),
    "at_risk": (
        -5,
        "At-risk customers",
        "late against their own purchase cadence, no order in the feature window",
    ),
    "lapsed": (-6, "Lapsed customers", "no order for longer than the lapsed threshold"),
}
#: Names the ML personas must not take (segment names are unique across both kinds).
RESERVED_NAMES: frozenset[str] = frozenset(name for _, name, _ in LIFECYCLE_SEGMENTS.values())


class LifecycleNotFoundError(LookupError):
    """`marts.customer_lifecycle` is missing or has no rows for the logical date."""


@dataclass(frozen=True)
class Population:
    """One logical date's customers split into the clustered and the lifecycle-segmented."""

    features: pd.DataFrame  # feature rows of the customers to cluster (ML)
    lifecycle: pd.DataFrame  # KEY_COLUMN, lifecycle_stage of the customers not clustered
    rule: str  # the behaviour rule that applied, for MLflow and the report

    @property
    def counts(self) -> dict[str, int]:
        """Customers per segment kind."""
        return {ML_KIND: len(self.features), LIFECYCLE_KIND: len(self.lifecycle)}


def load_lifecycle(logical_date: dt.date) -> pd.DataFrame:
    """(unified_customer_id, lifecycle_stage, is_known) of every customer on the date, by id."""
    with warehouse_reader() as con:
        if not table_exists(con, LIFECYCLE_TABLE):
            raise LifecycleNotFoundError(f"{LIFECYCLE_TABLE} does not exist: build the warehouse first")
        frame = con.execute(
            f"select {KEY_COLUMN}, lifecycle_stage, is_known from {LIFECYCLE_TABLE} "
            f"where logical_date = ? order by {KEY_COLUMN}",
            [logical_date],
        ).df()
    if frame.empty:
        raise LifecycleNotFoundError(f"{LIFECYCLE_TABLE} has no rows for logical_date={logical_date}")
    return frame


def has_behaviour(features: pd.DataFrame) -> tuple[np.ndarray, str]:
    """(mask, rule): which feature rows have enough behaviour to cluster, and the rule used."""
    orders, *activity_columns = BEHAVIOUR_COLUMNS
    if orders in features and features[orders].notna().any():
        return (features[orders].fillna(0) >= MIN_ORDERS).to_numpy(), f"{orders} >= {MIN_ORDERS}"
    present = [c for c in activity_columns if c in features]
    if not present:  # neither web nor email: nothing to cluster on
        return np.zeros(len(features), dtype=bool), "no behaviour source"
    activity = features[present].fillna(0).sum(axis=1)
    return (activity > 0).to_numpy(), "web or email activity (no order source)"


def split_population(features: pd.DataFrame, lifecycle: pd.DataFrame) -> Population:
    """Split the date's customers: known customers with behaviour are clustered, the rest are not.

    Every customer of `lifecycle` (all unified customers) lands in exactly one part; a
    feature row without a lifecycle row means the two tables are from different builds.
    """
    stray = int((~features[KEY_COLUMN].isin(lifecycle[KEY_COLUMN])).sum())
    if stray:
        raise ValueError(
            f"{stray} customers of marts.customer_features have no row in {LIFECYCLE_TABLE}: rebuild the warehouse"
        )
    known = features[KEY_COLUMN].isin(lifecycle.loc[lifecycle["is_known"].astype(bool), KEY_COLUMN])
    behaviour, rule = has_behaviour(features)
    clustered = features[known.to_numpy() & behaviour].reset_index(drop=True)
    rest = lifecycle[~lifecycle[KEY_COLUMN].isin(clustered[KEY_COLUMN])]
    return Population(
        features=clustered,
        lifecycle=rest[[KEY_COLUMN, "lifecycle_stage"]].reset_index(drop=True),
        rule=f"known and {rule}",
    )


def lifecycle_assignments(lifecycle: pd.DataFrame) -> pd.DataFrame:
    """(unified_customer_id, segment_id, distance) rows for the lifecycle-segmented customers."""
    unknown = sorted(set(lifecycle["lifecycle_stage"]) - set(LIFECYCLE_SEGMENTS))
    if unknown:
        raise ValueError(
            f"unknown lifecycle stage(s) {unknown}; expected one of {sorted(LIFECYCLE_SEGMENTS)}"
        )
    ids = lifecycle["lifecycle_stage"].map({stage: v[0] for stage, v in LIFECYCLE_SEGMENTS.items()})
    return pd.DataFrame(
        {
            KEY_COLUMN: lifecycle[KEY_COLUMN].to_numpy(),
            "segment_id": ids.astype("int32").to_numpy(),
            "distance": np.full(len(lifecycle), np.nan),
        }
    )


def lifecycle_segment_table() -> list[dict[str, object]]:
    """The lifecycle segments in the shape of a model's segment table (kind `lifecycle`)."""
    return [
        {"segment_id": sid, "name": name, "description": description, "kind": LIFECYCLE_KIND, "stage": stage}
        for stage, (sid, name, description) in LIFECYCLE_SEGMENTS.items()
    ]
