"""Delivery of one alert over a channel: a JSON webhook or an e-mail through SMTP.

Both functions raise `ChannelError` with a message safe to log: it names the channel and
the kind of failure (HTTP status, exception class, SMTP code), never the URL (which may
embed a token), the password or the body. `customer_platform.alerts.send_alert` catches it.

The webhook is `POST`ed as JSON with an `Idempotency-Key` header, retried with exponential
backoff on connection errors, timeouts, 429 and 5xx (another 4xx is not retried), so a
receiver that deduplicates by the key records one alert however many tries it took. SMTP
gets one try with a timeout: mail servers queue and retry on their own.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from customer_platform.alert_settings import AlertSettings

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 10
RETRIED_STATUS = (429, 500, 502, 503, 504)

log = logging.getLogger(__name__)


class ChannelError(RuntimeError):
    """A channel that could not deliver; the message is safe to log (no URL, body or secret)."""


def post_webhook(url: str, payload: dict[str, Any], key: str) -> int:
    """POST `payload` as JSON, retrying what can succeed later; returns the attempts used."""
    data = json.dumps(payload, sort_keys=True).encode()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        request = urllib.request.Request(
            url, data=data, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "cdp-alerts"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) checked in settings)
                response.read()
            return attempt
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED_STATUS or attempt == MAX_ATTEMPTS:
                raise ChannelError(f"webhook: HTTP {exc.code} after {attempt} attempt(s)") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == MAX_ATTEMPTS:
                reason = getattr(exc, "reason", exc)
                raise ChannelError(
                    f"webhook: {type(reason).__name__} ({_errno(reason)}) after {attempt} attempts"
                ) from None
        time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _errno(reason: object) -> str:
    code = getattr(reason, "errno", None)
    return f"errno {code}" if code is not None else "no response"


def build_email(settings: AlertSettings, subject: str, body: str, key: str) -> EmailMessage:
    """The alert e-mail: plain text, one message to every configured recipient."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=key[:16], domain=settings.email_from.rpartition("@")[2])
    message["X-CDP-Alert-Id"] = key
    message.set_content(body)
    return message


def send_email(settings: AlertSettings, message: EmailMessage) -> None:
    """Send `message` through the configured SMTP server (STARTTLS and login when set)."""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(message, settings.email_from, list(settings.email_to))
    except smtplib.SMTPResponseException as exc:
        # Only the class and code: a server's text may echo the login it refused.
        raise ChannelError(f"email: {type(exc).__name__} (SMTP {exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"email: {type(exc).__name__} ({_errno(exc)})") from None
    if refused:  # the others got it: delivered, but say that some did not
        log.warning("alert e-mail: %d of %d recipient(s) refused", len(refused), len(settings.email_to))
