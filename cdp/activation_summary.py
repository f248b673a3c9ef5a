"""The run summary's activation part: audiences, exports and campaign lift (counts only)."""

from __future__ import annotations

from typing import Any

from customer_platform.config import Settings


def activation_summary(con: Any, existing: set[tuple[str, str]], settings: Settings) -> dict[str, Any] | None:
    """Audience sizes and the latest campaign results, or None before the first activation."""
    if ("marts", "audience_members") not in existing:
        return None
    audiences = con.execute(
        "select audience_name, any_value(channel), count(*), count(*) filter (where is_holdout), "
        "any_value(logical_date) from marts.audience_members group by 1 order by 1"
    ).fetchall()
    campaigns = []
    if ("marts", "campaign_results") in existing:
        campaigns = con.execute(
            "select campaign_id, campaign_source, treatment_members, holdout_members, pending_members, "
            "conversion_lift_abs, conversion_lift_abs_low, conversion_lift_abs_high, conversion_p_value, warning "
            "from marts.campaign_results where segment_name = 'All' "
            "and logical_date = (select max(logical_date) from marts.campaign_results) order by 1"
        ).fetchall()
    return {
        "audiences": [
            {"audience": a, "channel": c, "members": int(n), "holdout": int(h), "logical_date": str(d)}
            for a, c, n, h, d in audiences
        ],
        "campaigns": [
            dict(
                zip(
                    (
                        "campaign",
                        "source",
                        "treatment",
                        "holdout",
                        "pending",
                        "lift",
                        "low",
                        "high",
                        "p_value",
                        "warning",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in campaigns
        ],  # fmt: skip
        "exports_dir": str(settings.exports_dir),
        "campaign_reports": str(settings.reports_dir / "campaigns"),
    }


def format_activation(activation: dict[str, Any] | None) -> list[str]:
    """Terminal lines of `activation_summary`."""
    lines = ["Audiences and campaigns:"]
    if not activation:
        return lines + ["  none yet: the activate_audiences task has not run"]
    for a in activation["audiences"]:
        lines.append(
            f"  {a['audience']:<32} {a['channel']:<6} {a['members']:>7,} members ({a['holdout']:,} held out)"
        )
    for c in activation["campaigns"]:
        if not c["treatment"]:
            lines.append(f"  {c['campaign']:<32} lift pending: {c['pending']:,} members in their window")
            continue
        lines.append(
            f"  {c['campaign']:<32} conversion lift {100 * c['lift']:+.1f} points "
            f"[{100 * c['low']:+.1f}, {100 * c['high']:+.1f}], p = {c['p_value']:.3f}  {c['warning'] or ''}".rstrip()
        )
    lines.append(f"  exports {activation['exports_dir']}, campaign reports {activation['campaign_reports']}")
    return lines
