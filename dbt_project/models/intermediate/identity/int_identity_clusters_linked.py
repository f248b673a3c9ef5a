"""Probabilistic links (Splink 5) between deterministic clusters that share no key, re-resolved incrementally.

Scoring: the email model (customer_platform.identity_matching) and the kept attribute model
(customer_platform.identity_match_model, model int_identity_match_model). A pair is accepted at
var('identity_match_probability_threshold'); accepted pairs merge clusters strongest first
(ties by cluster key) unless both sides already hold records of one customer-record source:
two CRM contacts are never merged on a guess, not even via a third.

Each build re-resolves only the profiles a night's changes can reach and carries every other
profile's customer over from the previous build (customer_platform.identity_increment); the
result equals re-resolving every profile with the same match model. The whole set is
re-resolved on the first build, when the match model or a matching setting changed, and with
var `identity_full_rebuild`.
"""

import numpy as np
import pandas as pd

from customer_platform.identity_increment import STATE_COLUMNS, config_flag, read_previous, resolve
from customer_platform.identity_match_model import MatchModel


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = dbt.ref("int_identity_records_clustered").project("deterministic_cluster_id").distinct()
    cluster_ids = np.sort(np.asarray(clusters.fetchnumpy()["deterministic_cluster_id"], dtype=np.int64))
    profiles = dbt.ref("int_identity_clusters_profiled").df()
    match = MatchModel.from_frame(dbt.ref("int_identity_match_model").df())
    enabled = config_flag(dbt.config.get("probabilistic_enabled"))
    prior, threshold = float(dbt.config.get("prior")), float(dbt.config.get("threshold"))
    resolution_key = f"{match.model_id if match else '-'}|{enabled}|{prior!r}|{threshold!r}"

    previous = None
    if not config_flag(dbt.config.get("full_rebuild")):
        previous = read_previous(session, dbt.this, (*STATE_COLUMNS, "resolution_key"))
        if previous is not None:
            previous = previous.dropna(subset=["cluster_key"])
            if (previous["resolution_key"] != resolution_key).any():
                previous = None  # another model or setting: every pair may score differently
            else:
                previous = previous[list(STATE_COLUMNS)]
    state = resolve(profiles, previous, match, enabled, prior, threshold)
    if not set(state["group_key"]) <= set(profiles["cluster_key"]):
        state = resolve(profiles, None, match, enabled, prior, threshold)  # never carry a stale group

    # Customers as deterministic cluster ids of this build: a group is named by its key's cluster.
    state = profiles[["cluster_key", "deterministic_cluster_id"]].merge(state, on="cluster_key")
    by_key = dict(zip(state["cluster_key"], state["deterministic_cluster_id"], strict=True))
    state["cluster_id"] = state["group_key"].map(by_key).astype(np.int64)
    frame = pd.DataFrame({"deterministic_cluster_id": cluster_ids}).merge(
        state, on="deterministic_cluster_id", how="left"
    )
    frame["cluster_id"] = frame["cluster_id"].fillna(frame["deterministic_cluster_id"]).astype(np.int64)
    frame["resolved_in_build"] = frame["resolved_in_build"].fillna(False).astype(bool)
    frame["resolution_key"] = resolution_key
    return frame[
        [
            "deterministic_cluster_id",
            "cluster_id",
            "match_probability",
            *[c for c in STATE_COLUMNS if c != "match_probability"],
            "resolved_in_build",
            "resolution_key",
        ]
    ]
