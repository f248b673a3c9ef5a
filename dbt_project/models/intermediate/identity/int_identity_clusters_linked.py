"""Probabilistic links (Splink 5) between deterministic clusters that share no key.

Each deterministic cluster with an email is one profile. Splink scores candidate pairs that
share the letters-and-digits part of the email's local name (anna.smith12@a.example ~
anna_smith12@b.example) with a Fellegi-Sunter model whose m / u probabilities are set from
expert judgement (see the YAML), not trained: the result does not depend on sample luck and
runs in seconds at a million profiles. A pair is accepted when its match probability reaches
var('identity_match_probability_threshold') and at least one side has no CRM contact (two
CRM contacts are never merged on a guess). Accepted pairs are merged by connected components.
"""

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# A local part held by more profiles than this is generic (info@, sales@): never a candidate.
MAX_PROFILES_PER_LOCAL_PART = 3


def splink_settings(prior: float):
    """Expert-set Fellegi-Sunter model (levels: null, exact, fuzzy..., else)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="deterministic_cluster_id",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[block_on("email_local")],
        comparisons=[
            cl.JaroWinklerAtThresholds("email_local", [0.95]).configure(
                m_probabilities=[0.85, 0.10, 0.05], u_probabilities=[1e-6, 1e-3, 0.999]
            ),
            cl.ExactMatch("email_domain").configure(m_probabilities=[0.3, 0.7], u_probabilities=[0.15, 0.85]),
            cl.ExactMatch("first_name").configure(m_probabilities=[0.9, 0.1], u_probabilities=[0.01, 0.99]),
            cl.ExactMatch("last_name").configure(m_probabilities=[0.9, 0.1], u_probabilities=[0.005, 0.995]),
            cl.ExactMatch("birth_date").configure(
                m_probabilities=[0.95, 0.05], u_probabilities=[1e-4, 0.9999]
            ),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def score_pairs(profiles: pd.DataFrame, prior: float, threshold: float) -> pd.DataFrame:
    """Accepted pairs (left, right, match_probability) among the profiles."""
    from splink import Linker
    from splink.backends.duckdb import DuckDBAPI

    counts = profiles.groupby("email_local")["email_local"].transform("size")
    candidates = profiles[
        profiles["email_local"].notna() & (counts > 1) & (counts <= MAX_PROFILES_PER_LOCAL_PART)
    ]
    empty = pd.DataFrame({"left": [], "right": [], "match_probability": []})
    if len(candidates) < 2 or candidates["has_crm_record"].all():
        return empty
    db_api = DuckDBAPI()  # a private in-memory database: Splink's work tables stay out of the warehouse
    linker = Linker(
        db_api.register(candidates.drop(columns=["has_crm_record", "email"])), splink_settings(prior)
    )
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    if pairs.empty:
        return empty
    has_crm = candidates.set_index("deterministic_cluster_id")["has_crm_record"]
    left, right = pairs["deterministic_cluster_id_l"], pairs["deterministic_cluster_id_r"]
    keep = ~(has_crm.loc[left].to_numpy() & has_crm.loc[right].to_numpy())
    return pd.DataFrame(
        {
            "left": left[keep].to_numpy(),
            "right": right[keep].to_numpy(),
            "match_probability": pairs["match_probability"][keep].to_numpy(),
        }
    )


def model(dbt, session):
    dbt.config(materialized="table")
    clusters = dbt.ref("int_identity_records_clustered").project("deterministic_cluster_id").distinct()
    clusters = clusters.fetchnumpy()["deterministic_cluster_id"]
    profiles = dbt.ref("int_identity_clusters_profiled").df()
    cluster_ids = np.sort(np.asarray(clusters, dtype=np.int64))

    pairs = pd.DataFrame({"left": [], "right": [], "match_probability": []})
    # Configs rendered from vars arrive as strings.
    if str(dbt.config.get("probabilistic_enabled")).strip().lower() in {"true", "1", "yes"}:
        pairs = score_pairs(profiles, float(dbt.config.get("prior")), float(dbt.config.get("threshold")))

    # Connected components over accepted pairs (cluster ids are 0..n-1 from the first step).
    n = int(cluster_ids.max()) + 1 if len(cluster_ids) else 0
    left = pairs["left"].to_numpy(dtype=np.int64)
    right = pairs["right"].to_numpy(dtype=np.int64)
    if n:
        graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n)).tocsr()
        labels = connected_components(graph, directed=False)[1].astype(np.int64)
    else:
        labels = np.zeros(0, dtype=np.int64)
    best = (
        pd.concat(
            [
                pairs[["left", "match_probability"]].rename(columns={"left": "cluster"}),
                pairs[["right", "match_probability"]].rename(columns={"right": "cluster"}),
            ]
        )
        .groupby("cluster")["match_probability"]
        .max()
    )
    return pd.DataFrame(
        {
            "deterministic_cluster_id": cluster_ids,
            "cluster_id": labels[cluster_ids],
            "match_probability": best.reindex(cluster_ids).to_numpy(dtype=float),
        }
    )
