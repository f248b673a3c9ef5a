"""The campaign report: one self-contained HTML page per logical date, readable offline.

`<data>/reports/campaigns/<date>.html`: per campaign, conversion rate of treatment and holdout
with 95 % intervals (a chart embedded as PNG), then a table per segment of members,
conversions, absolute and relative lift with intervals and p-values, revenue per member, and
the warnings. Counts and rates only: no personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from activation.lift import Z95  # noqa: E402

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th{background:#f3f3f3}"
    "td:first-child,th:first-child{text-align:left}.warn{color:#a15c00}.sig{font-weight:bold}"
)


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f} %"


def _num(value: float, digits: int = 2) -> str:
    return "–" if pd.isna(value) else f"{value:,.{digits}f}"


def _chart(row: pd.Series) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 2.6))
    rates = [row["treatment_conversion_rate"], row["holdout_conversion_rate"]]
    sizes = [row["treatment_members"], row["holdout_members"]]
    errors = [
        Z95 * (r * (1 - r) / n) ** 0.5 if n and not pd.isna(r) else 0
        for r, n in zip(rates, sizes, strict=True)
    ]
    ax.bar(["treatment", "holdout"], [0 if pd.isna(r) else r for r in rates], yerr=errors, capsize=6,
           color=["#4c72b0", "#a0a0a0"])  # fmt: skip
    ax.set_ylabel("conversion rate")
    ax.set_title("conversion with 95 % intervals", fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _segment_table(rows: pd.DataFrame) -> str:
    head = (
        "<tr><th>segment</th><th>treatment</th><th>holdout</th><th>pending</th><th>conv. treatment</th>"
        "<th>conv. holdout</th><th>lift (points)</th><th>95 % interval</th><th>relative lift</th>"
        "<th>p-value</th><th>revenue / member (T vs H)</th><th>revenue lift 95 %</th><th>warning</th></tr>"
    )
    body = []
    for _, r in rows.iterrows():
        significant = not pd.isna(r["conversion_p_value"]) and r["conversion_p_value"] < 0.05
        body.append(
            f"<tr><td>{html.escape(str(r['segment_name']))}</td><td>{r['treatment_members']:,}</td>"
            f"<td>{r['holdout_members']:,}</td><td>{r['pending_members']:,}</td>"
            f"<td>{_pct(r['treatment_conversion_rate'])}</td><td>{_pct(r['holdout_conversion_rate'])}</td>"
            f"<td class='{'sig' if significant else ''}'>{_num(100 * r['conversion_lift_abs'], 1)}</td>"
            f"<td>{_num(100 * r['conversion_lift_abs_low'], 1)} … {_num(100 * r['conversion_lift_abs_high'], 1)}</td>"
            f"<td>{_pct(r['conversion_lift_rel'])}</td><td>{_num(r['conversion_p_value'], 3)}</td>"
            f"<td>{_num(r['treatment_revenue_per_member'])} vs {_num(r['holdout_revenue_per_member'])}</td>"
            f"<td>{_num(r['revenue_lift_abs_low'])} … {_num(r['revenue_lift_abs_high'])}</td>"
            f"<td class='warn'>{html.escape(str(r['warning'] or ''))}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def render_report(results: pd.DataFrame, day: dt.date) -> str:
    """The HTML page of `results` (`activation.measurement.campaign_results`)."""
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Campaigns {day}</title>"
        f"<style>{_STYLE}</style></head><body><h1>Campaign results, {day}</h1>",
        "<p>Treatment against holdout. A member converts with a completed order within the attribution "
        "window after entering; only members whose window has closed are measured. Lift is in "
        "conversion-rate points (two-proportion test); revenue per member by Welch's t-test.</p>",
    ]
    if results.empty:
        parts.append("<p>No campaign has members yet.</p>")
    for (campaign, source), rows in results.groupby(["campaign_id", "campaign_source"], sort=True):
        overall = rows[rows["segment_name"] == "All"].iloc[0]
        parts.append(
            f"<h2>{html.escape(str(campaign))} <small>({html.escape(str(source))}, "
            f"{int(overall['attribution_days'])}-day window)</small></h2>"
            f"<img alt='conversion of treatment and holdout' src='data:image/png;base64,{_chart(overall)}'>"
            + _segment_table(
                pd.concat([rows[rows["segment_name"] == "All"], rows[rows["segment_name"] != "All"]])
            )
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(results: pd.DataFrame, day: dt.date, directory: Path) -> Path:
    """Write the page for `day` under `directory`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{day.isoformat()}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_report(results, day), encoding="utf-8")
    tmp.replace(path)
    return path
