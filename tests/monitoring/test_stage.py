"""The nightly stage around monitoring: task body, alert, retraining request, run summary, weekly date."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from cdp import tasks
from cdp.monitoring_summary import format_monitoring
from cdp.pipeline import RETRAINING_REQUESTED, get_stage
from cdp.summary import collect_summary, format_summary
from tests.monitoring.conftest import DATES, LAST


@pytest.fixture()
def monitored(small_warehouse, monkeypatch):
    """The small warehouse with the registry lookup replaced by its champions; alerts captured."""
    settings, lookup = small_warehouse
    monkeypatch.setattr("monitoring.run.champion_references", lookup)
    sent = []
    monkeypatch.setattr(tasks, "send_alert", lambda *args, **kwargs: sent.append(args) or ["webhook"])
    return settings, sent


def test_the_task_body_alerts_once_and_requests_retraining(monitored, caplog):
    settings, sent = monitored
    result = get_stage("monitor_models").run(LAST.isoformat(), "manual__test")
    assert json.loads(json.dumps(result)) == result, "XCom carries plain JSON"
    assert result["status_counts"]["critical"] > 0 and result["retraining_requested"]
    assert len(sent) == 1, "one alert per night, however many findings"
    severity, summary, details = sent[0]
    assert severity == "critical" and "retraining requested" in summary
    assert details["count"] == result["status_counts"]["critical"]
    assert "customer_churn v2 feature_psi tenure_days" in details["metric"]
    assert "U0" not in json.dumps(sent), "no customer id in the alert"
    assert "requests retraining" in caplog.text
    signal = get_stage("monitor_models").signal
    assert signal.uri == RETRAINING_REQUESTED
    extra = signal.event_extra(LAST.isoformat(), result)
    assert extra["logical_date"] == LAST.isoformat() and any("tenure_days" in r for r in extra["reasons"])


def test_a_quiet_night_sends_nothing_and_requests_nothing(monitored):
    settings, sent = monitored
    result = tasks.run_monitoring(DATES[-2].isoformat())
    assert not result["retraining_requested"] and result["status_counts"]["critical"] == 0
    assert sent == [] and tasks.critical_findings(result) == []
    assert get_stage("monitor_models").signal.event_extra(DATES[-2].isoformat(), result) is None


def test_an_alert_that_fails_does_not_fail_the_stage(small_warehouse, monkeypatch):
    _, lookup = small_warehouse
    monkeypatch.setattr("monitoring.run.champion_references", lookup)

    def broken(*args, **kwargs):
        raise RuntimeError("channel down")

    monkeypatch.setattr(tasks, "send_alert", broken)
    assert tasks.run_monitoring(LAST.isoformat())["retraining_requested"]


def test_the_run_summary_has_a_monitoring_section(monitored):
    tasks.run_monitoring(LAST.isoformat())
    summary = collect_summary(LAST.isoformat(), "manual__test")
    monitoring = summary["monitoring"]
    assert monitoring["logical_date"] == LAST.isoformat()
    assert monitoring["status_counts"]["critical"] >= 1 and monitoring["status_counts"]["ok"] >= 1
    subjects = {(f["check_type"], f["subject"]) for f in monitoring["critical"]}
    assert ("feature_psi", "tenure_days") in subjects and ("segment_share_change", "Loyal") in subjects
    assert {f["subject"] for f in monitoring["warning"]} >= {"all customers on both dates"}
    text = format_summary(summary)
    assert "Monitoring (drift, stability, KPI anomalies):" in text
    assert "customer_churn v2 feature_psi tenure_days = " in text
    assert summary["warehouse"]["marts.model_monitoring"] > 0
    assert format_monitoring(None)[-1].strip().startswith("none yet")


def test_a_weekly_run_trains_on_its_date_or_the_date_that_asked():
    assert tasks.retraining_date("2026-06-07") == "2026-06-07"
    events = {
        "cdp://monitoring/retraining_requested": [
            SimpleNamespace(extra={"logical_date": "2026-06-09", "reasons": ["x"]}),
            SimpleNamespace(extra={"logical_date": "2026-06-10", "reasons": ["y"]}),
        ]
    }
    assert tasks.retraining_date(None, events) == "2026-06-10", "the newest request"
    with pytest.raises(ValueError, match="no logical date"):
        tasks.retraining_date(None, {"uri": [SimpleNamespace(extra={})]})
    with pytest.raises(ValueError, match="no logical date"):
        tasks.retraining_date(None, None)
