"""The segmentation decision: the ranking table and the explanation follow the winner rule."""

from __future__ import annotations

from models.segmentation.decision import explain_winner, ranking_table
from models.segmentation.pipeline import KMEANS
from models.segmentation.selection import Candidate, SelectionConfig, choose_winner

CONFIG = SelectionConfig(min_segment_share=0.02, min_stability=0.8, score_decimals=2)


def _candidate(k, silhouette, davies_bouldin, min_share=0.1, stability=0.95):
    return Candidate(
        KMEANS, k, None, silhouette, davies_bouldin, 100.0 * k, 1.0, min_share, 0.0, stability=stability
    )


def _candidates():
    tiny = _candidate(7, 0.70, 0.5, min_share=0.005)
    unstable = _candidate(6, 0.65, 0.6, stability=0.5)
    coarse = _candidate(2, 0.42, 1.60)  # best silhouette of the ranked ones, poor Davies-Bouldin
    balanced = _candidate(5, 0.41, 1.00)  # ranks 2 + 1 beat the coarse split's 1 + 3
    middling = _candidate(4, 0.40, 1.20)
    return [tiny, unstable, coarse, balanced, middling]


def test_the_ranking_table_puts_the_winner_first_and_says_why_the_others_are_out():
    candidates = _candidates()
    winner = choose_winner(candidates, CONFIG)
    table = ranking_table(candidates, winner, CONFIG)
    assert list(table["candidate"]) == ["kmeans_k5", "kmeans_k2", "kmeans_k4", "kmeans_k7", "kmeans_k6"]
    assert table["chosen"].tolist() == [True, False, False, False, False]
    assert {"k", "silhouette", "davies_bouldin", "calinski_harabasz", "stability"} <= set(table.columns)
    gates = dict(zip(table["candidate"], table["gate"], strict=True))
    assert gates["kmeans_k7"] == "smallest segment under 2%"
    assert gates["kmeans_k6"] == "stability under 0.8"
    sums = dict(zip(table["candidate"], table["rank_sum"], strict=True))
    assert (sums["kmeans_k5"], sums["kmeans_k2"]) == (3, 4)


def test_the_explanation_names_each_higher_silhouette_candidate_and_the_rule_that_beat_it():
    candidates = _candidates()
    winner = choose_winner(candidates, CONFIG)
    text = explain_winner(candidates, winner, CONFIG)
    assert text.startswith("**kmeans_k5** was chosen")
    lines = {line.split(" ")[1]: line for line in text.splitlines() if line.startswith("- ")}
    assert set(lines) == {"kmeans_k7", "kmeans_k6", "kmeans_k2"}  # every one with a higher silhouette
    assert "gated out (smallest segment under 2%)" in lines["kmeans_k7"]
    assert "gated out (stability under 0.8)" in lines["kmeans_k6"]
    assert "rank sum is 4 against 3" in lines["kmeans_k2"] and "Davies–Bouldin 1.60" in lines["kmeans_k2"]


def test_a_tie_on_rank_sum_is_explained_by_the_tie_break():
    fewer = _candidate(3, 0.50, 1.00)
    more = _candidate(4, 0.503, 1.003)  # rounds to the same scores: a tie, fewer segments win
    winner = choose_winner([fewer, more], CONFIG)
    assert winner is fewer
    assert "loses the tie-break" in explain_winner([fewer, more], winner, CONFIG)
