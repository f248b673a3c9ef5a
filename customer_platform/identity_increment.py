"""Incremental probabilistic identity: which profiles a night re-resolves, and what it carries over.

The probabilistic step (dbt model `int_identity_clusters_linked`) works on one contact profile
per deterministic cluster. Each cluster is known across nights by its `cluster_key`, the
smallest record key it holds. The step keeps, per profile, the state of the last run:

- `profile_hash`: what Splink and the guard see of the profile (attributes, customer-record sources);
- `email_local`: its email's local part (the email model's block, and its generic-part count);
- `super_key`: the component of the graph of every scored pair at or above the threshold,
  accepted or refused by the guard (its smallest cluster key);
- `group_key`: the customer the profile belongs to (its group's smallest cluster key);
- `match_probability`: the best accepted link of the profile.

Resolution decomposes by super-component: the union-find with its guard only ever looks at pairs
inside one, and orders them by probability then cluster key, never by run-specific numbers.
So a night re-resolves the region below and carries every other profile's group over, and the
result equals a full re-resolution with the same match model:

1. changed profiles: new, gone, or with another `profile_hash`;
2. profiles that share an email local part with a changed profile, old or new (the generic
   local-part rule counts profiles per local part, so one new holder changes its neighbours);
3. blocking partners of the changed profiles: profiles equal to one on every column of a
   blocking rule (the only pairs Splink can score with them);
4. every profile of the previous super-component of any of the above.

A profile outside the region has an unchanged profile, and every pair it scored at or above
the threshold lies inside its previous super-component, which is wholly in or wholly out of the
region; so its pairs, and its group, are what a full re-resolution finds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from customer_platform.identity_match_model import MatchModel, score_attribute_pairs
from customer_platform.identity_matching import BLOCKING_RULES, EMPTY, score_email_pairs

STATE_COLUMNS: tuple[str, ...] = (
    "cluster_key",
    "profile_hash",
    "email_local",
    "super_key",
    "group_key",
    "match_probability",
)


def _keys(frame: pd.DataFrame, mask) -> set[str]:
    return set(frame.index[np.asarray(mask, dtype=bool)])


def blocking_partners(
    changed: pd.DataFrame, profiles: pd.DataFrame, rules: Iterable[Sequence[str]]
) -> set[str]:
    """Cluster keys of profiles equal to a changed profile on every column of some blocking rule.

    Both frames are indexed by cluster_key. Null never blocks (Splink's `block_on` is equality).
    """
    found: set[str] = set()
    if changed.empty:
        return found
    for rule in rules:
        columns = list(rule)
        if not set(columns) <= set(profiles.columns):
            continue
        left = changed[columns].dropna().drop_duplicates()
        if left.empty:
            continue
        right = profiles[columns].dropna().reset_index()
        found.update(right.merge(left, on=columns, how="inner")["cluster_key"].tolist())
    return found


def region(
    previous: pd.DataFrame | None, profiles: pd.DataFrame, rules: Iterable[Sequence[str]]
) -> set[str] | None:
    """Cluster keys to re-resolve tonight; None when every profile must be (no usable state).

    `previous` holds STATE_COLUMNS of the last run; `profiles` this run's profiles with
    cluster_key, profile_hash, email_local and the blocking columns.
    """
    if previous is None or previous.empty:
        return None
    before = previous.set_index("cluster_key")
    now = profiles.set_index("cluster_key")
    known = now.index.isin(before.index)
    same_hash = np.zeros(len(now), dtype=bool)
    same_hash[known] = (
        now.loc[known, "profile_hash"].to_numpy() == before.loc[now.index[known], "profile_hash"].to_numpy()
    )
    changed = _keys(now, ~same_hash)
    gone = set(before.index.difference(now.index))

    locals_touched = set(now.loc[list(changed), "email_local"].dropna())
    locals_touched |= set(before.loc[list((changed & set(before.index)) | gone), "email_local"].dropna())
    seeds = changed | _keys(now, now["email_local"].isin(locals_touched))
    seeds |= blocking_partners(now.loc[list(changed)], now, rules)

    supers = set(before.loc[list((seeds | gone) & set(before.index)), "super_key"].dropna())
    members = _keys(before, before["super_key"].isin(supers))
    return (seeds | members) & set(now.index)


def components(keys: Sequence[str], pairs: pd.DataFrame) -> dict[str, str]:
    """Smallest key of each key's component in the graph of `pairs` (left_key, right_key)."""
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for left, right in zip(pairs["left_key"], pairs["right_key"], strict=True):
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {k: root(k) for k in keys}


def merge_guarded(
    cluster_ids: np.ndarray, pairs: pd.DataFrame, sources: dict
) -> tuple[np.ndarray, pd.Series]:
    """Union-find over pairs, strongest first; never joins two holders of one customer-record source.

    Returns each cluster's final label (the smallest cluster id of its group) and the best
    probability of the links that were accepted (a pair refused by the guard counts for nothing).
    """
    parent: dict[int, int] = {}
    held: dict[int, set] = {}

    def root(c: int) -> int:
        while parent.get(c, c) != c:
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    best: dict[int, float] = {}
    ordered = pairs.sort_values(["match_probability", "left", "right"], ascending=[False, True, True])
    for left, right, probability in ordered.itertuples(index=False):
        left, right = int(left), int(right)
        a, b = root(left), root(right)
        if a != b:
            held_a = held.get(a, set(sources.get(a, ())))
            held_b = held.get(b, set(sources.get(b, ())))
            if held_a & held_b:
                continue
            keep, gone = min(a, b), max(a, b)
            parent[gone] = keep
            held[keep] = held_a | held_b
            held.pop(gone, None)
        for c in (left, right):
            best[c] = max(best.get(c, 0.0), float(probability))
    labels = cluster_ids.astype(np.int64).copy()
    position = {int(c): i for i, c in enumerate(cluster_ids.tolist())} if parent else {}
    for c in parent:
        labels[position[c]] = root(c)
    return labels, pd.Series(best, dtype=float)


def config_flag(value) -> bool:
    """A dbt model config rendered from a var (Python models cannot call var(): it arrives as a string)."""
    return str(value).strip().lower() in {"true", "1", "yes"}


def read_previous(session, relation, columns: Sequence[str]) -> pd.DataFrame | None:
    """Rows of a model's own last build (dbt's `this`) with these columns; None if it has none.

    A dbt-duckdb table build writes a new relation and swaps it in afterwards, so while the
    model runs, `this` is still the previous build.
    """
    where = "table_catalog = ? and table_schema = ? and table_name = ?"
    names = [relation.database, relation.schema, relation.identifier]
    present = {
        row[0]
        for row in session.execute(
            f"select column_name from information_schema.columns where {where}", names
        ).fetchall()
    }
    if not present or not set(columns) <= present:
        return None
    return session.execute(f"select {', '.join(columns)} from {relation!r}").df()


def resolve(
    profiles: pd.DataFrame,
    previous: pd.DataFrame | None,
    match: MatchModel | None,
    enabled: bool,
    prior: float,
    threshold: float,
) -> pd.DataFrame:
    """STATE_COLUMNS of every profile, and `resolved_in_build`: whether this build re-linked it.

    `previous` is the last build's state (None: re-link every profile); `match` the kept
    attribute model (None: the email model only).
    """
    rules = [rule for rule in BLOCKING_RULES if match and set(rule) <= set(match.attributes)]
    todo = region(previous, profiles, rules)
    # Splink ids in cluster-key order: pair order and ties are the same in every build.
    work = profiles if todo is None else profiles[profiles["cluster_key"].isin(todo)]
    work = work.sort_values("cluster_key").reset_index(drop=True)
    work["deterministic_cluster_id"] = np.arange(len(work), dtype=np.int64)
    pairs = EMPTY
    if enabled and len(work) > 1:
        holders = profiles["email_local"].value_counts()
        found = [score_email_pairs(work, prior, threshold, holders)]
        if match is not None:
            found.append(score_attribute_pairs(work, match, threshold))
        found = [f for f in found if len(f)]
        pairs = pd.concat(found, ignore_index=True) if found else EMPTY
    keys = work["cluster_key"].to_numpy()
    sources = dict(zip(work["deterministic_cluster_id"], work["customer_record_sources"], strict=True))
    labels, best = merge_guarded(work["deterministic_cluster_id"].to_numpy(), pairs, sources)
    ends = pd.DataFrame(
        {
            "left_key": keys[pairs["left"].to_numpy(dtype=np.int64)],
            "right_key": keys[pairs["right"].to_numpy(dtype=np.int64)],
        }
    )
    supers = components(list(keys), ends)
    resolved = pd.DataFrame(
        {
            "cluster_key": keys,
            "profile_hash": work["profile_hash"].to_numpy(),
            "email_local": work["email_local"].to_numpy(),
            "super_key": [supers[k] for k in keys],
            "group_key": keys[labels],
            "match_probability": best.reindex(work["deterministic_cluster_id"]).to_numpy(dtype=float),
            "resolved_in_build": True,
        }
    )
    if todo is None:
        return resolved
    carried = previous[previous["cluster_key"].isin(set(profiles["cluster_key"]) - todo)]
    return pd.concat([resolved, carried.assign(resolved_in_build=False)], ignore_index=True)
