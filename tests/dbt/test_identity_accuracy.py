"""Identity resolution against the generator's ground truth (bench.identity_quality)."""

from __future__ import annotations

import duckdb
import pytest

from bench.identity_quality import identity_metrics

PRECISION_TARGET, RECALL_TARGET = 0.99, 0.95


def test_generated_data_meets_the_precision_and_recall_targets(generated):
    metrics = identity_metrics(generated.full_path, generated.truth_dir)
    assert metrics["records_scored"] >= 1000 and metrics["persons"] >= 250, metrics
    assert metrics["precision"] >= PRECISION_TARGET, metrics
    assert metrics["recall"] >= RECALL_TARGET, metrics
    # Every identity-bearing record the platform kept belongs to someone in the truth.
    assert metrics["records_not_in_truth"] == 0, metrics


def _write_identity_map(path, rows):
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_identity_map "
            "(source varchar, source_record_id varchar, unified_customer_id varchar)"
        )
        con.executemany("insert into marts.customer_identity_map values (?, ?, ?)", rows)
    finally:
        con.close()


def test_pairs_are_counted_from_cluster_sizes(tmp_path):
    # Truth: P1 = a, b, c; P2 = d, e. Resolved: U1 = a, b; U2 = c, d, e; U3 = x (not in truth).
    truth = tmp_path / "_truth"
    truth.mkdir()
    (truth / "identities.csv").write_text(
        "source,source_record_id,person_id\n"
        + "".join(f"crm_customers,{r},{p}\n" for r, p in zip("abcde", ["P1"] * 3 + ["P2"] * 2, strict=True))
    )
    resolved = [
        ("crm_customers", r, u) for r, u in zip("abcdex", ["U1", "U1", "U2", "U2", "U2", "U3"], strict=True)
    ]
    _write_identity_map(tmp_path / "w.duckdb", resolved)

    metrics = identity_metrics(tmp_path / "w.duckdb", truth)
    # Predicted pairs: ab, cd, ce, de (4). True pairs: ab, ac, bc, de (4). Both: ab, de.
    assert (metrics["predicted_pairs"], metrics["true_pairs"], metrics["true_positive_pairs"]) == (4, 4, 2)
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == (0.5, 0.5, 0.5)
    assert (metrics["persons_split"], metrics["unified_customers_merged"]) == (1, 1)
    assert (metrics["records_scored"], metrics["records_not_in_truth"], metrics["truth_records_not_resolved"]) == (
        5, 1, 0,
    )  # fmt: skip


def test_missing_truth_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="identities.csv"):
        identity_metrics(tmp_path / "w.duckdb", tmp_path)
