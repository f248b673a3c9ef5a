"""Alerts against local servers: what arrives, retries, e-mail, settings errors, and never personal data."""

from __future__ import annotations

import json
import logging
import re

import pytest

from cdp.tasks import on_failure_record
from customer_platform.alert_settings import ALERT_ENV_VARS
from customer_platform.alerts import alert_payload, send_alert
from customer_platform.config import ENV_VARS, REPO_ROOT, Settings
from tests.platform.alert_servers import SmtpReceiver, free_port, self_signed_tls

EMAIL, PHONE, E164 = "Ann.Smith+vip@Example.co.uk", "07700 900123", "+447700900123"
# What a failing row puts in an exception message.
LEAKY_ERROR = f"ValueError: bad row for {EMAIL}, phone {PHONE}, customer_id=C0000123"
DETAILS = {
    "dag_id": "customer_platform_nightly",
    "task_id": "ingest.ingest_crm_customers",
    "logical_date": "2026-06-30",
    "try_number": 3,
    "exception_class": "ValueError",
    "exception": LEAKY_ERROR,
    "quarantined_rows": 12,
    "email": EMAIL,  # not on the allow-list: dropped
    "first_name": "Ann",  # not on the allow-list: dropped
}


def _assert_no_personal_data(received: bytes) -> None:
    text = received.decode("utf-8", "replace").lower()
    for planted in (EMAIL.lower(), "ann.smith", "example.co.uk", PHONE, E164, "7700900123", "0000123", "ann"):
        assert planted.lower() not in text, f"{planted!r} reached the receiver"
    assert not re.search(r"7700\D?900", text)


def test_a_webhook_alert_carries_the_allowed_fields_and_no_personal_data(alert_env, webhook):
    settings = alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    delivered = send_alert("failure", f"ingest failed: {LEAKY_ERROR}", DETAILS, settings)
    assert delivered == ["webhook"]
    (alert,) = webhook.accepted
    assert alert["severity"] == "failure" and alert["platform"] == "customer-platform"
    assert alert["details"] == {
        "dag_id": "customer_platform_nightly",
        "task_id": "ingest.ingest_crm_customers",
        "logical_date": "2026-06-30",
        "try_number": 3,
        "exception_class": "ValueError",
        "exception": "ValueError: bad row for [email], phone [phone], customer_id=[redacted]",
        "quarantined_rows": 12,
    }
    assert alert["omitted_fields"] == 2
    assert alert["_key"] == alert["alert_id"], "the Idempotency-Key header is the alert's id"
    _assert_no_personal_data(webhook.received_bytes())


def test_a_503_is_retried_and_the_alert_arrives_once(alert_env, webhook):
    settings = alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    webhook.statuses = [503]
    assert send_alert(
        "critical", "PSI above threshold", {"feature": "recency_days", "psi": 0.31}, settings
    ) == ["webhook"]
    assert len(webhook.accepted) == 1
    assert list(webhook.tries.values()) == [2], "one key, tried twice"


def test_a_channel_that_stays_down_is_logged_not_raised(alert_env, webhook, caplog):
    settings = alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    webhook.statuses = [500, 500, 500]
    with caplog.at_level(logging.INFO):
        assert send_alert("failure", "x failed", {"exception": LEAKY_ERROR}, settings) == []
    assert "alert channel webhook failed: webhook: HTTP 500 after 3 attempt(s)" in caplog.text
    assert "T0KEN" not in caplog.text and EMAIL not in caplog.text
    assert webhook.accepted == []


def test_an_unreachable_webhook_is_logged_not_raised(alert_env, caplog):
    settings = alert_env(CDP_ALERT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hook")
    assert send_alert("failure", "x failed", {}, settings) == []
    assert "alert channel webhook failed" in caplog.text


def test_an_email_alert_reaches_every_recipient(alert_env, smtp):
    settings = alert_env(
        CDP_ALERT_SMTP_HOST="127.0.0.1",
        CDP_ALERT_SMTP_PORT=str(smtp.port),
        CDP_ALERT_EMAIL_FROM="cdp-alerts@platform.example",
        CDP_ALERT_EMAIL_TO="oncall@platform.example, data-team@platform.example",
    )
    assert send_alert("failure", f"nightly failed: {LEAKY_ERROR}", DETAILS, settings) == ["email"]
    ((sender, recipients, message),) = smtp.messages
    assert sender == "cdp-alerts@platform.example"
    assert recipients == ["oncall@platform.example", "data-team@platform.example"]
    assert message["Subject"].startswith("[CDP failure] nightly failed: ValueError: bad row for [email]")
    body = message.get_content()
    assert "task_id: ingest.ingest_crm_customers" in body and "quarantined_rows: 12" in body
    assert "omitted_fields: 2" in body
    assert message["X-CDP-Alert-Id"] in body
    _assert_no_personal_data(smtp.raw[0])


def test_email_over_starttls_with_login(alert_env, tmp_path, monkeypatch):
    tls, cert = self_signed_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate only
    server = SmtpReceiver(tls=tls, logins={"alerts": "pa55-w0rd"})
    try:
        settings = alert_env(
            CDP_ALERT_SMTP_HOST="127.0.0.1",
            CDP_ALERT_SMTP_PORT=str(server.port),
            CDP_ALERT_SMTP_STARTTLS="true",
            CDP_ALERT_SMTP_USER="alerts",
            CDP_ALERT_SMTP_PASSWORD="pa55-w0rd",
            CDP_ALERT_EMAIL_FROM="cdp@platform.example",
            CDP_ALERT_EMAIL_TO="oncall@platform.example",
        )
        assert send_alert("critical", "drift", {"feature": "frequency"}, settings) == ["email"]
        assert len(server.messages) == 1
    finally:
        server.close()


def test_a_refused_login_is_logged_without_the_password(alert_env, caplog):
    server = SmtpReceiver(logins={"alerts": "right"})
    try:
        settings = alert_env(
            CDP_ALERT_SMTP_HOST="127.0.0.1",
            CDP_ALERT_SMTP_PORT=str(server.port),
            CDP_ALERT_SMTP_USER="alerts",
            CDP_ALERT_SMTP_PASSWORD="Wr0ng-s3cret",
            CDP_ALERT_EMAIL_FROM="cdp@platform.example",
            CDP_ALERT_EMAIL_TO="oncall@platform.example",
        )
        with caplog.at_level(logging.DEBUG):
            assert send_alert("failure", "x failed", {}, settings) == []
        assert "alert channel email failed: email: SMTPAuthenticationError (SMTP 535)" in caplog.text
        assert "Wr0ng-s3cret" not in caplog.text
        assert server.messages == []
    finally:
        server.close()


def test_both_channels_and_the_minimum_severity(alert_env, webhook, smtp):
    settings = alert_env(
        CDP_ALERT_WEBHOOK_URL=webhook.url,
        CDP_ALERT_SMTP_HOST="127.0.0.1",
        CDP_ALERT_SMTP_PORT=str(smtp.port),
        CDP_ALERT_EMAIL_FROM="cdp@platform.example",
        CDP_ALERT_EMAIL_TO="oncall@platform.example",
    )
    assert send_alert("warning", "minor", {}, settings) == [], "below the default minimum (critical)"
    assert send_alert("critical", "drift", {}, settings) == ["webhook", "email"]
    lowered = alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url, CDP_ALERT_MIN_SEVERITY="warning")
    assert send_alert("warning", "minor", {}, lowered) == ["webhook"]
    assert [a["severity"] for a in webhook.accepted] == ["critical", "warning"]
    with pytest.raises(ValueError, match="severity must be one of warning, critical, failure"):
        send_alert("fatal", "x", {}, settings)


def test_no_channel_is_a_quiet_no_op(alert_env, caplog):
    settings = alert_env()
    with caplog.at_level(logging.DEBUG, logger="customer_platform.alerts"):
        assert send_alert("failure", "x failed", {}, settings) == []
    assert "no alert channel configured" in caplog.text


BAD_SETTINGS = [
    ({"CDP_ALERT_WEBHOOK_URL": "ftp://hooks.example/x"}, "CDP_ALERT_WEBHOOK_URL"),
    ({"CDP_ALERT_MIN_SEVERITY": "loud"}, "CDP_ALERT_MIN_SEVERITY"),
    ({"CDP_ALERT_SMTP_HOST": "smtp.example", "CDP_ALERT_SMTP_PORT": "twenty-five"}, "CDP_ALERT_SMTP_PORT"),
    ({"CDP_ALERT_SMTP_HOST": "smtp.example", "CDP_ALERT_SMTP_PORT": "70000"}, "CDP_ALERT_SMTP_PORT"),
    ({"CDP_ALERT_SMTP_STARTTLS": "maybe"}, "CDP_ALERT_SMTP_STARTTLS"),
    ({"CDP_ALERT_SMTP_HOST": "smtp.example", "CDP_ALERT_EMAIL_TO": "a@b.example"}, "CDP_ALERT_EMAIL_FROM"),
    ({"CDP_ALERT_SMTP_HOST": "smtp.example", "CDP_ALERT_EMAIL_FROM": "a@b.example"}, "CDP_ALERT_EMAIL_TO"),
    (
        {
            "CDP_ALERT_SMTP_HOST": "s.example",
            "CDP_ALERT_EMAIL_FROM": "a@b.example",
            "CDP_ALERT_EMAIL_TO": "x",
        },
        "CDP_ALERT_EMAIL_TO",
    ),
    ({"CDP_ALERT_EMAIL_TO": "oncall@platform.example"}, "CDP_ALERT_SMTP_HOST"),
    (
        {
            "CDP_ALERT_SMTP_HOST": "smtp.example",
            "CDP_ALERT_EMAIL_FROM": "a@b.example",
            "CDP_ALERT_EMAIL_TO": "c@d.example",
            "CDP_ALERT_SMTP_PASSWORD": "s3cret-pw",
        },
        "CDP_ALERT_SMTP_USER",
    ),
    (
        {
            "CDP_ALERT_SMTP_HOST": "smtp.example",
            "CDP_ALERT_EMAIL_FROM": "a@b.example",
            "CDP_ALERT_EMAIL_TO": "c@d.example",
            "CDP_ALERT_SMTP_USER": "u",
            "CDP_ALERT_SMTP_PASSWORD": "s3cret-pw",
        },
        "CDP_ALERT_SMTP_STARTTLS",
    ),
]


@pytest.mark.parametrize(("variables", "named"), BAD_SETTINGS)
def test_misconfiguration_is_one_line_naming_the_variable(alert_env, variables, named):
    with pytest.raises(ValueError) as error:
        alert_env(**variables)
    message = str(error.value)
    assert named in message
    assert "\n" not in message and "s3cret-pw" not in message


def test_settings_never_show_the_password_or_the_webhook_token(alert_env, webhook):
    settings = alert_env(
        CDP_ALERT_WEBHOOK_URL=webhook.url,
        CDP_ALERT_SMTP_HOST="localhost",
        CDP_ALERT_SMTP_USER="alerts",
        CDP_ALERT_SMTP_PASSWORD="s3cret-pw",
        CDP_ALERT_EMAIL_FROM="cdp@platform.example",
        CDP_ALERT_EMAIL_TO="oncall@platform.example",
    )
    assert isinstance(settings, Settings)
    shown = repr(settings) + json.dumps(settings.describe())
    assert "s3cret-pw" not in shown and "T0KEN" not in shown
    assert "webhook=http://127.0.0.1/" in settings.describe()["alerts"]


def test_every_alert_variable_is_documented_passed_to_the_containers_and_off_by_default(alert_env):
    example = dict(
        line.split("=", 1)
        for line in (REPO_ROOT / ".env.example").read_text().splitlines()
        if line.startswith("CDP_ALERT_")
    )
    assert set(example) == set(ALERT_ENV_VARS) <= set(ENV_VARS)
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    assert all(f"  {name}: ${{{name}}}" in compose for name in ALERT_ENV_VARS)
    assert all(f"`{name}`" in (REPO_ROOT / "README.md").read_text() for name in ALERT_ENV_VARS)
    assert alert_env(**example).alerts.channels() == (), (
        "the example's values are valid and switch alerts off"
    )


def _context(**extra):
    class TaskInstance:
        dag_id, task_id, try_number, max_tries = "customer_platform_nightly", "silver_gate", 1, 0
        log_url = "http://localhost:8080/dags/customer_platform_nightly/runs/r/tasks/silver_gate?try_number=1"

    return {
        "ti": TaskInstance(),
        "run_id": "scheduled__2026-06-30T00:00:00+00:00",
        "ds": "2026-06-30",
    } | extra


def test_the_failure_callback_alerts_once_per_failed_task_not_per_dag_run(alert_env, webhook):
    alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    on_failure_record(_context(exception=ValueError(LEAKY_ERROR)))  # the task's callback
    on_failure_record(_context(reason="task_failure"))  # the DAG's, for the same failure
    (alert,) = webhook.accepted
    assert alert["summary"] == "customer_platform_nightly.silver_gate failed for 2026-06-30 (ValueError)"
    assert alert["details"]["failure_record"].endswith("runs/failures.jsonl")
    assert alert["details"]["log_url"].endswith("tasks/silver_gate?try_number=1")
    on_failure_record(
        {"dag": type("Dag", (), {"dag_id": "customer_erasure"})(), "run_id": "r", "reason": "timed_out"}
    )
    assert webhook.accepted[-1]["summary"] == "customer_erasure run r failed: timed_out"
    assert len(webhook.accepted) == 2
    _assert_no_personal_data(webhook.received_bytes())


def test_a_task_killed_without_an_exception_still_alerts_once(alert_env, webhook):
    alert_env(CDP_ALERT_WEBHOOK_URL=webhook.url)
    on_failure_record(_context())  # the DAG processor's callback for a task that lost its heartbeat
    (alert,) = webhook.accepted
    assert alert["summary"].endswith("(no exception: killed, or lost its heartbeat)")
    assert "exception_class" not in alert["details"]


def test_the_failure_callback_survives_a_dead_channel(alert_env):
    alert_env(CDP_ALERT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hook")
    on_failure_record(_context(exception=RuntimeError("boom")))  # logs, does not raise


def test_the_payload_id_is_stable_for_the_same_alert():
    first = alert_payload("failure", "x", {"dag_id": "d", "run_id": "r"})
    again = alert_payload("failure", "x", {"run_id": "r", "dag_id": "d"})
    other = alert_payload("failure", "x", {"dag_id": "d", "run_id": "r2"})
    assert first["alert_id"] == again["alert_id"] != other["alert_id"]
