"""Training artifacts: segment profile CSV, profile heatmap, elbow and silhouette plots, HTML report."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: workers have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from models.features import FEATURE_COLUMNS  # noqa: E402
from models.segmentation.selection import Candidate  # noqa: E402

PROFILE_CSV = "segment_profile.csv"
HEATMAP_PNG = "segment_profile_heatmap.png"
ELBOW_PNG = "elbow.png"
SILHOUETTE_PNG = "silhouette.png"
REPORT_HTML = "segment_report.html"


def segment_profile(frame: pd.DataFrame, segment_ids: np.ndarray, segments: Sequence[dict]) -> pd.DataFrame:
    """One row per segment (ML and lifecycle): id, kind, persona, size, share and the mean of every feature.

    Customers without a feature row (NaN) count in the size but not in the means.
    """
    means = frame[list(FEATURE_COLUMNS)].groupby(segment_ids).mean()
    sizes = pd.Series(segment_ids).value_counts()
    rows = []
    # ML segments first (ids 0, 1, ...), then the lifecycle ones (-1, -2, ...)
    for segment in sorted(segments, key=lambda s: (s["segment_id"] < 0, abs(s["segment_id"]))):
        sid = segment["segment_id"]
        size = int(sizes.get(sid, 0))
        row = {
            "segment_id": sid,
            "segment_kind": segment.get("kind", "ml"),
            "segment_name": segment["name"],
            "segment_description": segment["description"],
        }
        row |= {"customers": size, "share": round(size / max(len(frame), 1), 4)}
        row |= {
            c: (float(means.loc[sid, c]) if sid in means.index else float("nan")) for c in FEATURE_COLUMNS
        }
        rows.append(row)
    return pd.DataFrame(rows)


def plot_profile_heatmap(
    scaled: np.ndarray, segment_ids: np.ndarray, names: dict[int, str], features: Sequence[str], path: Path
) -> None:
    """Segments × features heatmap of mean standardized values (0 = population average)."""
    ids = sorted(names)
    matrix = np.array(
        [
            scaled[segment_ids == sid].mean(axis=0)
            if (segment_ids == sid).any()
            else np.zeros(scaled.shape[1])
            for sid in ids
        ]
    )
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(features), 1.5 + 0.5 * len(ids)))
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-2.5, vmax=2.5, aspect="auto")
    ax.set_xticks(range(len(features)), features, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(ids)), [f"{sid}: {names[sid]}" for sid in ids], fontsize=8)
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(col, row, f"{value:.1f}", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, label="mean standardized value")
    ax.set_title("Segment profiles (evaluation sample)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_by_k(
    candidates: Sequence[Candidate], metric: str, winner: Candidate, title: str, path: Path
) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for algorithm in sorted({c.algorithm for c in candidates}):
        points = sorted((c.k, getattr(c, metric)) for c in candidates if c.algorithm == algorithm)
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=algorithm)
    ax.scatter(
        [winner.k],
        [getattr(winner, metric)],
        s=160,
        facecolors="none",
        edgecolors="black",
        label=f"chosen: {winner.name}",
    )
    ax.set_xlabel("number of segments (k)")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_elbow(candidates: Sequence[Candidate], winner: Candidate, path: Path) -> None:
    """Inertia against k (KMeans family): the elbow."""
    kmeans = [c for c in candidates if "kmeans" in c.algorithm] or list(candidates)
    _plot_by_k(kmeans, "inertia", winner, "Elbow: within-segment sum of squares", path)


def plot_silhouette(candidates: Sequence[Candidate], winner: Candidate, path: Path) -> None:
    """Silhouette on the evaluation sample against k, per algorithm (one point for DBSCAN)."""
    # a candidate with one segment has no silhouette (-1 by convention): it would only squash the axis
    scored = [c for c in candidates if c.k >= 2] or list(candidates)
    _plot_by_k(scored, "silhouette", winner, "Silhouette on the evaluation sample", path)


def write_html_report(profile: pd.DataFrame, summary: dict[str, object], path: Path) -> None:
    """A small self-contained page: run summary, segment table, the plots beside it."""
    facts = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary.items()
    )
    columns = [
        "segment_id",
        "segment_kind",
        "segment_name",
        "segment_description",
        "customers",
        "share",
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "sessions",
        "email_open_rate",
        "share_outlet",
    ]
    table = profile[columns].round(2).to_html(index=False, escape=True, border=0)
    images = "".join(
        f'<p><img src="{name}" alt="{name}" style="max-width:100%"></p>'
        for name in (HEATMAP_PNG, SILHOUETTE_PNG, ELBOW_PNG)
    )
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Customer segments</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
        f"<h1>Customer segments</h1><table>{facts}</table><h2>Segments</h2>{table}{images}</body></html>",
        encoding="utf-8",
    )


def write_training_artifacts(
    out_dir: Path,
    frame: pd.DataFrame,
    segment_ids: np.ndarray,
    segments: Sequence[dict],
    candidates: Sequence[Candidate],
    winner: Candidate,
    sample_scaled: np.ndarray,
    sample_segment_ids: np.ndarray,
    scaled_features: Sequence[str],
    summary: dict[str, object],
) -> Path:
    """Write every training artifact into `out_dir` and return it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = segment_profile(frame, segment_ids, segments)
    profile.to_csv(out_dir / PROFILE_CSV, index=False)
    names = {s["segment_id"]: s["name"] for s in segments if s.get("kind", "ml") == "ml"}
    plot_profile_heatmap(sample_scaled, sample_segment_ids, names, scaled_features, out_dir / HEATMAP_PNG)
    plot_elbow(candidates, winner, out_dir / ELBOW_PNG)
    plot_silhouette(candidates, winner, out_dir / SILHOUETTE_PNG)
    write_html_report(profile, summary, out_dir / REPORT_HTML)
    return out_dir
