"""Charts as inline SVG, drawn with matplotlib's object API (no pyplot state, safe across threads).

Text stays text (`svg.fonttype = none`): the browser draws it with the page's fonts, the SVG is
several times smaller than with glyph outlines, and numbers in charts are searchable. Every
function takes plain lists (already aggregated, never customer rows) and returns `<svg …>…</svg>`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
WARNING_COLOR = "#d9a400"
CRITICAL_COLOR = "#c44e52"
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def to_svg(fig: Figure) -> str:
    """The figure as an inline `<svg>` element (XML prologue and metadata dropped)."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    # The RDF metadata block only names the tool: not needed inline.
    return _METADATA.sub("", text[text.index("<svg") :], count=1)


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _height(rows: int) -> float:
    return max(1.6, 0.32 * rows + 0.9)


def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    xlabel: str,
    value_format: str = "{:,.0f}",
    groups: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one per label, the value written at the end of each bar.

    groups: a group name per bar (coloured and named in a legend), e.g. the segment kind.
    """
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, _height(len(labels)))
        ax = fig.add_subplot()
        positions = range(len(labels))
        names = list(dict.fromkeys(groups or []))
        colors = [PALETTE[names.index(g) % len(PALETTE)] for g in groups] if groups else PALETTE[0]
        ax.barh(list(positions), list(values), color=colors)
        for index, name in enumerate(names):
            ax.barh([0], [0], color=PALETTE[index % len(PALETTE)], label=name)  # legend entry only
        if len(names) > 1:
            ax.legend(fontsize=7, frameon=False, loc="lower right")
        ax.set_yticks(list(positions), list(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        for y, value in zip(positions, values, strict=True):
            ax.annotate(value_format.format(value), (value, y), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
        ax.margins(x=0.15)
        return to_svg(fig)


def hbar_panels(labels: Sequence[str], panels: Sequence[tuple[str, Sequence[float], str]]) -> str:
    """Side-by-side horizontal bar panels sharing the label axis: (title, values, value format) each."""
    with matplotlib.rc_context(_RC):
        fig = _figure(2.6 * len(panels) + 1.6, _height(len(labels)))
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        positions = list(range(len(labels)))
        for index, (ax, (title, values, value_format)) in enumerate(zip(axes, panels, strict=True)):
            shown = [0.0 if v is None else v for v in values]
            ax.barh(positions, shown, color=PALETTE[index % len(PALETTE)])
            ax.set_title(title, fontsize=9)
            for y, value in zip(positions, values, strict=True):
                text = "–" if value is None else value_format.format(value)
                ax.annotate(text, (0.0 if value is None else value, y), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=8)  # fmt: skip
            ax.margins(x=0.3)
            ax.tick_params(axis="x", labelsize=7)
        axes[0].set_yticks(positions, list(labels))
        axes[0].invert_yaxis()
        return to_svg(fig)


def lines(dates: Sequence[str], series: dict[str, Sequence[float]], ylabel: str) -> str:
    """One line per series over the dates (markers too, so a single date still shows)."""
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, 3.0)
        ax = fig.add_subplot()
        x = list(range(len(dates)))
        for index, (name, values) in enumerate(series.items()):
            ax.plot(
                x, list(values), marker="o", markersize=3, label=name, color=PALETTE[index % len(PALETTE)]
            )
        step = max(1, len(dates) // 8)
        ax.set_xticks(x[::step], list(dates)[::step], rotation=30, ha="right")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        return to_svg(fig)


def heatmap(
    rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]], xlabel: str, ylabel: str
) -> str:
    """A count matrix as coloured cells with the count written in each non-empty cell."""
    with matplotlib.rc_context(_RC):
        size = max(len(rows), len(columns))
        fig = _figure(min(9.0, 2.4 + 0.75 * size), min(8.0, 1.6 + 0.5 * size))
        ax = fig.add_subplot()
        peak = max((max(r) for r in counts if len(r)), default=0) or 1
        ax.pcolormesh(
            [[c / peak for c in r] for r in counts], cmap="Blues", vmin=0, vmax=1.2, edgecolors="white"
        )
        for i, row in enumerate(counts):
            for j, count in enumerate(row):
                if count:
                    color = "white" if count / peak > 0.6 else "#222"
                    ax.text(j + 0.5, i + 0.5, f"{count:,}", ha="center", va="center", fontsize=7, color=color)
        ax.set_xticks([j + 0.5 for j in range(len(columns))], list(columns), rotation=35, ha="right")
        ax.set_yticks([i + 0.5 for i in range(len(rows))], list(rows))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return to_svg(fig)


def histogram(edges: Sequence[float], counts: Sequence[int], xlabel: str, log: bool = False) -> str:
    """Pre-binned counts as a histogram (`edges` has one more entry than `counts`)."""
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, 2.6)
        ax = fig.add_subplot()
        widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
        ax.bar(
            list(edges[:-1]), list(counts), width=widths, align="edge", color=PALETTE[0], edgecolor="white"
        )
        if log:
            ax.set_yscale("symlog")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("records")
        return to_svg(fig)


def bars_with_thresholds(
    labels: Sequence[str], values: Sequence[float], warning: float | None, critical: float | None, xlabel: str
) -> str:
    """Horizontal bars coloured by the threshold they cross, with the thresholds drawn as lines."""
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, _height(len(labels)))
        ax = fig.add_subplot()

        def colour(value: float) -> str:
            if critical is not None and value >= critical:
                return CRITICAL_COLOR
            if warning is not None and value >= warning:
                return WARNING_COLOR
            return PALETTE[2]

        positions = list(range(len(labels)))
        ax.barh(positions, list(values), color=[colour(v) for v in values])
        for y, value in zip(positions, values, strict=True):
            ax.annotate(
                f"{value:.3f}", (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8
            )
        for threshold, name, color in (
            (warning, "warning", WARNING_COLOR),
            (critical, "critical", CRITICAL_COLOR),
        ):
            if threshold is not None:
                ax.axvline(threshold, color=color, linestyle="--", linewidth=1, label=f"{name} {threshold:g}")
        ax.set_yticks(positions, list(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.margins(x=0.15)
        if warning is not None or critical is not None:
            ax.legend(fontsize=7, frameon=False, loc="lower right")
        return to_svg(fig)


def stacked_hbar(labels: Sequence[str], parts: dict[str, Sequence[int]], xlabel: str) -> str:
    """Horizontal bars stacked from named parts (e.g. passed / failed, treatment / held out)."""
    colors = {"passed": PALETTE[2], "failed": CRITICAL_COLOR, "held out": "#a0a0a0"}
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, _height(len(labels)))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        left = [0] * len(labels)
        for index, (name, values) in enumerate(parts.items()):
            ax.barh(positions, list(values), left=left, label=name, color=colors.get(name, PALETTE[index]))
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions, list(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return to_svg(fig)


def error_bars(
    labels: Sequence[str], values: Sequence[float], low: Sequence[float], high: Sequence[float], xlabel: str
) -> str:
    """Point estimates with their intervals, one row per label, and the zero line."""
    with matplotlib.rc_context(_RC):
        fig = _figure(6.4, _height(len(labels)))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        errors = [[max(v - lo, 0) for v, lo in zip(values, low, strict=True)],
                  [max(hi - v, 0) for v, hi in zip(values, high, strict=True)]]  # fmt: skip
        ax.errorbar(list(values), positions, xerr=errors, fmt="o", capsize=4, color=PALETTE[0])
        ax.axvline(0, color="#888", linewidth=1)
        ax.set_yticks(positions, list(labels))
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.margins(y=0.3)
        return to_svg(fig)
