"""Fixtures of the alert tests: local receivers and settings pointing at them."""

from __future__ import annotations

import pytest

import customer_platform.alert_channels as alert_channels
from customer_platform.alert_settings import ALERT_ENV_VARS
from customer_platform.config import reload_settings
from tests.platform.alert_servers import SmtpReceiver, WebhookReceiver


@pytest.fixture()
def webhook():
    """A local webhook receiver (statuses to answer are queued in `webhook.statuses`)."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture()
def smtp():
    """A local SMTP server without TLS or login."""
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture()
def alert_env(monkeypatch):
    """Set CDP_ALERT_* variables (others cleared) and return the reloaded settings; restored afterwards."""
    monkeypatch.setattr(alert_channels, "BACKOFF_SECONDS", 0.01)

    def configure(**variables: str):
        for name in ALERT_ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return reload_settings()

    yield configure
    monkeypatch.undo()
    reload_settings()
