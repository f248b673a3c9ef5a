"""Connected components of the identity graph (records linked through shared keys).

The graph is bipartite: record nodes 0..n-1 and key nodes n..n+k-1, one edge per
(record, key) link. scipy's connected_components labels it in linear time, so this stays
fast at millions of records where iterative SQL label propagation needs many passes.
"""

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(node_count: int, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Component label per node of an undirected graph given as edge arrays."""
    if node_count == 0:
        return np.zeros(0, dtype=np.int64)
    weights = np.ones(len(sources), dtype=np.int8)
    graph = coo_matrix((weights, (sources, targets)), shape=(node_count, node_count)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def model(dbt, session):
    dbt.config(materialized="table")
    # fetchnumpy drains each result before the next query (DuckDB 2 refuses otherwise).
    records = dbt.ref("int_identity_records_unioned").project("record_index").fetchnumpy()
    links = dbt.ref("int_identity_keys_filtered_to_links").project("record_index, key_index").fetchnumpy()

    all_records = np.asarray(records["record_index"], dtype=np.int64)
    record_count = int(all_records.max()) + 1 if len(all_records) else 0
    record_index = np.asarray(links["record_index"], dtype=np.int64)
    key_node = np.asarray(links["key_index"], dtype=np.int64) + record_count
    key_count = int(key_node.max() - record_count + 1) if len(key_node) else 0

    labels = components(record_count + key_count, record_index, key_node)
    return pd.DataFrame(
        {
            "record_index": all_records,
            "deterministic_cluster_id": labels[all_records],
        }
    )
