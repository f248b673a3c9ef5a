"""Alert channel settings (webhook, e-mail over SMTP) read from the environment.

`customer_platform.config.Settings.alerts` holds one `AlertSettings`; `Settings.validate()`
calls `AlertSettings.validate()`, so a misconfigured channel stops the platform at start-up
with one line naming the variable, not at 3 a.m. when the first alert is due. No channel
set (the default) means alerts are off. The SMTP password never appears in `repr`, in
`describe()` nor in any error message; the webhook URL (which may embed a token) is shown
as its scheme and host only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from customer_platform.env_values import env_flag, env_int, env_text

#: Severities in rising order; an alert below `CDP_ALERT_MIN_SEVERITY` is not sent.
SEVERITIES: tuple[str, ...] = ("warning", "critical", "failure")
DEFAULT_MIN_SEVERITY = "critical"
DEFAULT_SMTP_PORT = 25

#: Environment variables read here (config.ENV_VARS lists them too).
ALERT_ENV_VARS: tuple[str, ...] = (
    "CDP_ALERT_WEBHOOK_URL", "CDP_ALERT_SMTP_HOST", "CDP_ALERT_SMTP_PORT", "CDP_ALERT_SMTP_USER",
    "CDP_ALERT_SMTP_PASSWORD", "CDP_ALERT_SMTP_STARTTLS", "CDP_ALERT_EMAIL_FROM", "CDP_ALERT_EMAIL_TO",
    "CDP_ALERT_MIN_SEVERITY",
)  # fmt: skip

_ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go; empty strings mean "not configured"."""

    webhook_url: str = field(default="", repr=False)  # may embed a token
    smtp_host: str = ""
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    email_from: str = ""
    email_to: tuple[str, ...] = ()
    min_severity: str = DEFAULT_MIN_SEVERITY

    @classmethod
    def from_env(cls) -> AlertSettings:
        """Read the CDP_ALERT_* variables (not validated: `validate()` does that)."""
        return cls(
            webhook_url=env_text("CDP_ALERT_WEBHOOK_URL"),
            smtp_host=env_text("CDP_ALERT_SMTP_HOST"),
            smtp_port=env_int("CDP_ALERT_SMTP_PORT", DEFAULT_SMTP_PORT),
            smtp_user=env_text("CDP_ALERT_SMTP_USER"),
            smtp_password=os.environ.get("CDP_ALERT_SMTP_PASSWORD", ""),
            smtp_starttls=env_flag("CDP_ALERT_SMTP_STARTTLS"),
            email_from=env_text("CDP_ALERT_EMAIL_FROM"),
            email_to=tuple(a.strip() for a in env_text("CDP_ALERT_EMAIL_TO").split(",") if a.strip()),
            min_severity=(env_text("CDP_ALERT_MIN_SEVERITY") or DEFAULT_MIN_SEVERITY).lower(),
        )

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def validate(self) -> None:
        """Raise ValueError (one line, naming the variable) for a channel that cannot work."""
        if self.min_severity not in SEVERITIES:
            raise ValueError(
                f"CDP_ALERT_MIN_SEVERITY must be one of {', '.join(SEVERITIES)}, got {self.min_severity!r}"
            )
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError("CDP_ALERT_WEBHOOK_URL must be an http:// or https:// URL with a host")
        if not self.smtp_host:
            for name, value in (
                ("CDP_ALERT_EMAIL_TO", self.email_to),
                ("CDP_ALERT_SMTP_USER", self.smtp_user),
            ):
                if value:
                    raise ValueError(f"{name} is set but CDP_ALERT_SMTP_HOST is not: set the SMTP host")
            return
        self._validate_email()

    def _validate_email(self) -> None:
        if not 1 <= self.smtp_port <= 65535:
            raise ValueError(f"CDP_ALERT_SMTP_PORT must be within 1..65535, got {self.smtp_port}")
        if not _ADDRESS.fullmatch(self.email_from):
            raise ValueError(
                "CDP_ALERT_EMAIL_FROM must be one e-mail address when CDP_ALERT_SMTP_HOST is set"
            )
        if not self.email_to:
            raise ValueError(
                "CDP_ALERT_EMAIL_TO must list at least one address when CDP_ALERT_SMTP_HOST is set"
            )
        bad = [a for a in self.email_to if not _ADDRESS.fullmatch(a)]
        if bad:
            raise ValueError(f"CDP_ALERT_EMAIL_TO has {len(bad)} entry(ies) that are not e-mail addresses")
        if bool(self.smtp_user) != bool(self.smtp_password):
            missing = "CDP_ALERT_SMTP_PASSWORD" if self.smtp_user else "CDP_ALERT_SMTP_USER"
            raise ValueError(f"{missing} must be set too: SMTP login needs a user and a password")
        if self.smtp_user and not self.smtp_starttls and self.smtp_host.lower() not in _LOOPBACK:
            raise ValueError(
                "CDP_ALERT_SMTP_STARTTLS must be true when CDP_ALERT_SMTP_USER is set and the host is not "
                "local: the password would cross the network unencrypted"
            )

    def channels(self) -> tuple[str, ...]:
        """The configured channels, in delivery order."""
        return tuple(
            name for name, on in (("webhook", self.webhook_enabled), ("email", self.email_enabled)) if on
        )

    def describe(self) -> str:
        """One line for `cdp config` and run summaries: channels and targets, no secrets."""
        if not self.channels():
            return "off"
        parts = [f"min_severity={self.min_severity}"]
        if self.webhook_enabled:
            url = urlsplit(self.webhook_url)
            parts.append(f"webhook={url.scheme}://{url.hostname}/…")
        if self.email_enabled:
            login = ", login" if self.smtp_user else ""
            tls = ", starttls" if self.smtp_starttls else ""
            parts.append(f"email=smtp {self.smtp_host}:{self.smtp_port}{tls}{login} to {len(self.email_to)}")
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.describe()
