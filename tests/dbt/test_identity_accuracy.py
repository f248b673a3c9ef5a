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


def test_focus_counts_only_pairs_touching_one_source(tmp_path):
    # Truth: P1 = crm a, member m; P2 = crm b, crm c. Resolved: U1 = a, m, b; U2 = c.
    truth = tmp_path / "_truth"
    truth.mkdir()
    rows = [("crm", "a", "P1"), ("members", "m", "P1"), ("crm", "b", "P2"), ("crm", "c", "P2")]
    (truth / "identities.csv").write_text(
        "source,source_record_id,person_id\n" + "".join(f"{s},{r},{p}\n" for s, r, p in rows)
    )
    _write_identity_map(
        tmp_path / "w.duckdb",
        [("crm", "a", "U1"), ("members", "m", "U1"), ("crm", "b", "U1"), ("crm", "c", "U2")],
    )
    metrics = identity_metrics(tmp_path / "w.duckdb", truth, focus_source="members")
    # Pairs touching m: predicted am, bm; true am. Overall also ab (predicted) and bc (true).
    assert (metrics["predicted_pairs"], metrics["true_pairs"], metrics["true_positive_pairs"]) == (2, 1, 1)
    assert (metrics["precision"], metrics["recall"]) == (0.5, 1.0)
