"""Which fitted candidate becomes the segmentation: a fixed, documented rule over its scores.

Selection rule (`pick_winner`; the knobs are `SelectionConfig` fields, logged in MLflow):
1. Candidates with fewer than two segments cannot win (a DBSCAN that found one cluster
   is logged but never chosen).
2. Drop candidates whose smallest segment holds less than `min_segment_share` of the
   customers (a segment marketing cannot act on), unless that drops them all.
3. Drop candidates whose stability is below `min_stability`, unless that drops them all.
4. Rank the rest by silhouette (higher is better) and by Davies-Bouldin (lower is better),
   each rounded to `score_decimals` so noise-level differences tie; the winner has the
   smallest sum of its two ranks. Silhouette alone favours the coarsest split when one
   dimension dominates; Davies-Bouldin weighs the spread within segments against the
   distance between their centres and so penalises a segment that lumps two groups.
5. Ties: the simpler model (the KMeans family, then Ward agglomerative, then Gaussian
   mixtures, then DBSCAN), then fewer segments, then the higher silhouette, then the name
   (so the rule is a total order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sklearn.base import BaseEstimator

from models.segmentation.pipeline import AGGLOMERATIVE, DBSCAN, GAUSSIAN_MIXTURE, KMEANS, MINIBATCH_KMEANS


@dataclass
class Candidate:
    """One fitted clusterer and its scores."""

    algorithm: str
    k: int
    clusterer: BaseEstimator = field(repr=False)
    silhouette: float
    davies_bouldin: float
    calinski_harabasz: float
    inertia: float
    min_segment_share: float
    fit_seconds: float
    dunn: float = 0.0
    noise_share: float = 0.0
    stability: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.algorithm}_k{self.k}"

    def metrics(self) -> dict[str, float]:
        """Scores for `mlflow.log_metrics`."""
        return {
            "silhouette": self.silhouette,
            "davies_bouldin": self.davies_bouldin,
            "calinski_harabasz": self.calinski_harabasz,
            "inertia": self.inertia,
            "min_segment_share": self.min_segment_share,
            "fit_seconds": self.fit_seconds,
            "dunn": self.dunn,
            "noise_share": self.noise_share,
            "stability": self.stability,
        }


_FAMILY_RANK = {KMEANS: 0, MINIBATCH_KMEANS: 0, AGGLOMERATIVE: 1, GAUSSIAN_MIXTURE: 2, DBSCAN: 3}


def _ranks(values: list[float]) -> list[int]:
    """Competition ranks (1 = best = smallest value; equal values share a rank)."""
    return [1 + sum(other < value for other in values) for value in values]


@dataclass(frozen=True)
class Screening:
    """The rule's intermediate results: who passed each gate, and the rank sums of the ranked ones."""

    servable: list[Candidate]
    eligible: list[Candidate]
    ranked: list[Candidate]
    silhouette_rank: dict[str, int]
    davies_bouldin_rank: dict[str, int]

    def rank_sum(self, candidate: Candidate) -> int:
        """Silhouette rank + Davies-Bouldin rank of a ranked candidate."""
        return self.silhouette_rank[candidate.name] + self.davies_bouldin_rank[candidate.name]


def screen(
    candidates: list[Candidate], *, min_segment_share: float, min_stability: float, score_decimals: int
) -> Screening:
    """Steps 1-4 of the module's rule: the gates, then the rank of each remaining candidate; pure."""
    servable = [c for c in candidates if c.k >= 2]
    if not servable:
        raise ValueError("no candidate found two or more segments")
    eligible = [c for c in servable if c.min_segment_share >= min_segment_share] or servable
    stable = [c for c in eligible if c.stability >= min_stability] or eligible
    digits = score_decimals
    by_silhouette = _ranks([-round(c.silhouette, digits) for c in stable])
    by_davies_bouldin = _ranks([round(c.davies_bouldin, digits) for c in stable])
    return Screening(
        servable=servable,
        eligible=eligible,
        ranked=stable,
        silhouette_rank={c.name: r for c, r in zip(stable, by_silhouette, strict=True)},
        davies_bouldin_rank={c.name: r for c, r in zip(stable, by_davies_bouldin, strict=True)},
    )


def tie_break_key(candidate: Candidate, screening: Screening) -> tuple:
    """Step 4 and 5: rank sum, then the simpler family, fewer segments, higher silhouette, name."""
    return (
        screening.rank_sum(candidate),
        _FAMILY_RANK.get(candidate.algorithm, 9),
        candidate.k,
        -candidate.silhouette,
        candidate.name,
    )


def pick_winner(
    candidates: list[Candidate], *, min_segment_share: float, min_stability: float, score_decimals: int
) -> Candidate:
    """Apply the module's documented selection rule; pure given the candidates' scores."""
    screening = screen(
        candidates,
        min_segment_share=min_segment_share,
        min_stability=min_stability,
        score_decimals=score_decimals,
    )
    return min(screening.ranked, key=lambda c: tie_break_key(c, screening))
