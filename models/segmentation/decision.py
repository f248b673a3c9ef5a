"""Why the segmentation winner won: the candidate ranking table and the decision in words.

Both come from `models.segmentation.winner_rule.screen`, the same steps that picked the
winner, so the explanation cannot drift from the rule. Training logs the table as
`report/candidate_ranking.csv`, the explanation as `report/selection_decision.md` and its
first paragraph as the run tag `selection_explanation`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import mlflow
import pandas as pd

from models.segmentation.selection import SelectionConfig
from models.segmentation.winner_rule import Candidate, Screening, screen, tie_break_key

RANKING_CSV = "candidate_ranking.csv"
DECISION_MD = "selection_decision.md"


def screening_for(candidates: Sequence[Candidate], config: SelectionConfig) -> Screening:
    """The rule's gates and ranks for `candidates` under `config`'s knobs."""
    return screen(
        list(candidates),
        min_segment_share=config.min_segment_share,
        min_stability=config.min_stability,
        score_decimals=config.score_decimals,
    )


def _outcome(candidate: Candidate, screening: Screening, config: SelectionConfig) -> str:
    if candidate not in screening.servable:
        return "fewer than two segments"
    if candidate not in screening.eligible:
        return f"smallest segment under {config.min_segment_share:.0%}"
    if candidate not in screening.ranked:
        return f"stability under {config.min_stability}"
    return "ranked"


def ranking_table(
    candidates: Sequence[Candidate], winner: Candidate, config: SelectionConfig
) -> pd.DataFrame:
    """One row per candidate, best first: scores, gate outcome, ranks, rank sum, chosen."""
    screening = screening_for(candidates, config)
    order = sorted(screening.ranked, key=lambda c: tie_break_key(c, screening))
    rows = []
    for candidate in order + [c for c in candidates if c not in screening.ranked]:
        ranked = candidate in screening.ranked
        rows.append(
            {
                "candidate": candidate.name,
                "algorithm": candidate.algorithm,
                "k": candidate.k,
                "silhouette": round(candidate.silhouette, 4),
                "davies_bouldin": round(candidate.davies_bouldin, 4),
                "calinski_harabasz": round(candidate.calinski_harabasz, 1),
                "stability": round(candidate.stability, 4),
                "min_segment_share": round(candidate.min_segment_share, 4),
                "gate": _outcome(candidate, screening, config),
                "silhouette_rank": screening.silhouette_rank.get(candidate.name) if ranked else None,
                "davies_bouldin_rank": screening.davies_bouldin_rank.get(candidate.name) if ranked else None,
                "rank_sum": screening.rank_sum(candidate) if ranked else None,
                "position": order.index(candidate) + 1 if ranked else None,
                "chosen": candidate is winner,
            }
        )
    return pd.DataFrame(rows)


def _why_not(other: Candidate, winner: Candidate, screening: Screening, config: SelectionConfig) -> str:
    outcome = _outcome(other, screening, config)
    if outcome != "ranked":
        return f"it was gated out ({outcome})"
    mine, theirs = screening.rank_sum(winner), screening.rank_sum(other)
    if theirs > mine:
        return (
            f"its rank sum is {theirs} against {mine}: Davies–Bouldin "
            f"{other.davies_bouldin:.2f} against {winner.davies_bouldin:.2f} "
            f"(lower is better) outweighs its silhouette lead"
        )
    return (
        f"it ties on rank sum ({theirs}) and loses the tie-break "
        "(simpler family, then fewer segments, then higher silhouette)"
    )


def explain_winner(candidates: Sequence[Candidate], winner: Candidate, config: SelectionConfig) -> str:
    """The decision in Markdown: the rule, the winner, and why each higher-silhouette candidate lost."""
    screening = screening_for(candidates, config)
    higher = sorted(
        (c for c in screening.servable if c.silhouette > winner.silhouette and c is not winner),
        key=lambda c: -c.silhouette,
    )
    lines = [
        f"**{winner.name}** was chosen: silhouette {winner.silhouette:.3f}, Davies–Bouldin "
        f"{winner.davies_bouldin:.3f}, stability {winner.stability:.2f}, rank sum "
        f"{screening.rank_sum(winner)} (silhouette rank + Davies–Bouldin rank, scores rounded to "
        f"{config.score_decimals} decimals so noise-level differences tie).",
        "",
        "Rule (`models/segmentation/winner_rule.py`): candidates with one segment cannot win; "
        f"candidates whose smallest segment holds under {config.min_segment_share:.0%} of customers "
        f"and those with stability under {config.min_stability} are dropped (unless that drops all); "
        "the rest are ranked by silhouette and by Davies–Bouldin and the smallest rank sum wins; "
        "ties go to the simpler family (KMeans, Ward, Gaussian mixture, DBSCAN), then fewer segments.",
        "",
    ]
    if not higher:
        lines.append("No candidate had a higher silhouette.")
    for other in higher:
        lines.append(
            f"- {other.name} (silhouette {other.silhouette:.3f}) lost because "
            f"{_why_not(other, winner, screening, config)}."
        )
    return "\n".join(lines) + "\n"


def log_selection_decision(
    candidates: Sequence[Candidate], winner: Candidate, config: SelectionConfig
) -> str:
    """Log the ranking table and the explanation to the active run under `report/`; returns the explanation."""
    explanation = explain_winner(candidates, winner, config)
    with tempfile.TemporaryDirectory() as tmp:
        ranking_table(candidates, winner, config).to_csv(Path(tmp) / RANKING_CSV, index=False)
        (Path(tmp) / DECISION_MD).write_text(explanation, encoding="utf-8")
        mlflow.log_artifacts(tmp, artifact_path="report")
    mlflow.set_tag("selection_explanation", explanation[:5000])
    return explanation


def log_candidate_runs(
    candidates: Sequence[Candidate], winner: Candidate, seed: int, experiment_id: str
) -> None:
    """One nested MLflow run per candidate: its algorithm, k, seed, scores and whether it was chosen."""
    for candidate in candidates:
        with mlflow.start_run(experiment_id=experiment_id, run_name=candidate.name, nested=True):
            mlflow.log_params({"algorithm": candidate.algorithm, "k": candidate.k, "seed": seed})
            if hasattr(candidate.clusterer, "eps_"):
                mlflow.log_param("eps", round(candidate.clusterer.eps_, 6))
            mlflow.log_metrics(candidate.metrics())
            mlflow.set_tag("chosen", str(candidate is winner).lower())
