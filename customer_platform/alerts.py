"""Alerts for failures and critical warnings, over a webhook and/or e-mail, with no personal data.

`send_alert(severity, summary, details)` is the one entry point: the DAGs' failure callback
(`cdp.tasks.on_failure_record`) sends "failure", and any stage may send "critical" (drift,
a quality problem that needs a person) or "warning":

    from customer_platform.alerts import send_alert
    send_alert("critical", "PSI above threshold", {"model_name": "customer_segmentation",
               "feature": "recency_days", "psi": 0.31, "threshold": 0.25})

Channels come from `Settings.alerts` (CDP_ALERT_*, README "Alerts"); none configured makes
this a no-op. An alert below CDP_ALERT_MIN_SEVERITY (default "critical") is not sent. A
channel that fails is logged (naming the channel, never the URL, password or body) and left
out of the returned list; `send_alert` does not raise for it, so a failure callback that
alerts never fails itself.

What an alert may carry is an allow-list (`ALLOWED_DETAILS` and numeric `*_count`-style
figures); other keys are dropped and only their number is reported. Every text value and
the summary go through `customer_platform.redaction.scrub` (e-mails, phones, ids, digit
runs, identifier key=value pairs, quoted literals), so an exception message that quotes a
customer's row arrives without the customer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from customer_platform.alert_channels import ChannelError, build_email, post_webhook, send_email
from customer_platform.alert_settings import SEVERITIES
from customer_platform.config import Settings, get_settings
from customer_platform.redaction import scrub, truncate

log = logging.getLogger(__name__)

#: Detail keys an alert may carry (text values are scrubbed all the same).
ALLOWED_DETAILS = frozenset({
    "dag_id", "task_id", "run_id", "logical_date", "try_number", "max_tries", "exception_class",
    "exception", "reason", "stage", "gate", "suite", "source", "table", "model_name", "model_version",
    "feature", "features", "metric", "value", "threshold", "psi", "segment", "segments", "count",
    "rows", "failure_record", "log_url", "link",
})  # fmt: skip
#: Numeric figures are allowed under any key with one of these endings (`quarantined_rows`, `psi`...).
_FIGURE_KEY = re.compile(r".+_(count|rows|rate|share|psi|threshold|pct|total|seconds)$")
SUMMARY_LIMIT = 200
SUBJECT_LIMIT = 150
DetailValue = str | int | float | None


def safe_details(details: Mapping[str, DetailValue]) -> tuple[dict[str, DetailValue], int]:
    """The allow-listed details, text scrubbed; and how many keys were dropped."""
    kept: dict[str, DetailValue] = {}
    for key, value in details.items():
        numeric = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        if key in ALLOWED_DETAILS:
            kept[key] = value if numeric else scrub(value)
        elif numeric and _FIGURE_KEY.fullmatch(key):
            kept[key] = value
    return kept, len(details) - len(kept)


def alert_payload(severity: str, summary: str, details: Mapping[str, DetailValue]) -> dict[str, Any]:
    """The alert as sent (JSON body of the webhook, fields of the e-mail); no personal data."""
    kept, dropped = safe_details(details)
    payload: dict[str, Any] = {
        "platform": "customer-platform",
        "severity": severity,
        "summary": scrub(summary, SUMMARY_LIMIT),
        "details": kept,
    }
    if dropped:
        payload["omitted_fields"] = dropped
    content = json.dumps(payload, sort_keys=True, default=str)
    payload["alert_id"] = hashlib.sha256(content.encode()).hexdigest()[:32]
    payload["sent_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return payload


def email_text(payload: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of an alert e-mail."""
    subject = truncate(f"[CDP {payload['severity']}] {payload['summary']}", SUBJECT_LIMIT)
    lines = [f"severity: {payload['severity']}", f"summary: {payload['summary']}", ""]
    lines += [f"{key}: {value}" for key, value in sorted(payload["details"].items())]
    if payload.get("omitted_fields"):
        lines.append(f"omitted_fields: {payload['omitted_fields']} (not on the alert allow-list)")
    lines += ["", f"alert_id: {payload['alert_id']}", f"sent_at: {payload['sent_at']}", ""]
    lines.append(
        "Alerts carry no personal data: full errors stay in the platform's failure records and logs."
    )
    return subject, "\n".join(lines) + "\n"


def send_alert(
    severity: str,
    summary: str,
    details: Mapping[str, DetailValue],
    settings: Settings | None = None,
) -> list[str]:
    """Send one alert to every configured channel; returns the channels it was delivered to.

    severity: "failure" (a task or run failed), "critical" (needs a person now) or "warning".
    details: allow-listed keys only are sent (see the module docstring); others are dropped.
    Raises ValueError for an unknown severity; never for a channel that fails (it is logged).
    """
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    config = (settings or get_settings()).alerts
    if not config.channels():
        log.debug("no alert channel configured (CDP_ALERT_*): %s alert not sent", severity)
        return []
    if SEVERITIES.index(severity) < SEVERITIES.index(config.min_severity):
        log.debug("%s alert below CDP_ALERT_MIN_SEVERITY=%s: not sent", severity, config.min_severity)
        return []
    payload = alert_payload(severity, summary, details)
    delivered: list[str] = []
    for channel in config.channels():
        try:
            if channel == "webhook":
                post_webhook(config.webhook_url, payload, payload["alert_id"])
            else:
                subject, body = email_text(payload)
                send_email(config, build_email(config, subject, body, payload["alert_id"]))
        except ChannelError as exc:
            log.error("alert channel %s failed: %s", channel, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - an alert must never break its caller
            log.error("alert channel %s failed: %s", channel, type(exc).__name__)
            continue
        delivered.append(channel)
    log.info("%s alert %s delivered to %s", severity, payload["alert_id"], delivered or "no channel")
    return delivered
