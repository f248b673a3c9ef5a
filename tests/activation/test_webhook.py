"""Webhook destinations against a real local HTTP server that fails some requests."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

import activation.webhook as webhook
from activation.run import activate_audiences
from activation.webhook import DestinationError
from tests.activation.conftest import DAY, WIN_BACK, write_audience


class FlakyReceiver:
    """A local endpoint: answers 503 to the first try of every batch, and 500 to everything while `down`."""

    def __init__(self) -> None:
        self.accepted: list[dict] = []
        self.keys: Counter[str] = Counter()
        self.tries: Counter[str] = Counter()
        self.down_after: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                receiver.tries[key] += 1
                down = receiver.down_after is not None and len(receiver.accepted) >= receiver.down_after
                if down or receiver.tries[key] == 1:
                    self.send_response(500 if down else 503)
                    self.end_headers()
                    return
                if receiver.keys[key] == 0:  # a receiver deduplicates by the key
                    receiver.accepted.append(body)
                receiver.keys[key] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/audiences"

    def members(self, operation: str) -> list[str]:
        return [
            m["unified_customer_id"]
            for b in self.accepted
            if b["operation"] == operation
            for m in b["members"]
        ]


@pytest.fixture()
def receiver(activation_env, monkeypatch):
    _, _, audiences = activation_env
    server = FlakyReceiver()
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv("CDP_WEBHOOK_CRM_URL", server.url)
    write_audience(audiences, "win_back", WIN_BACK.replace(
        "- {type: file}", "- {type: webhook, name: crm, url_env: CDP_WEBHOOK_CRM_URL, batch_size: 25}"))  # fmt: skip
    yield server
    server.server.shutdown()


def _treatment(settings) -> set[str]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select unified_customer_id from marts.audience_members where not is_holdout"
        ).fetchall()
    return {r[0] for r in rows}


def test_batches_are_retried_carry_an_idempotency_key_and_sync_only_changes(activation_env, receiver):
    settings, _, _ = activation_env
    summary = activate_audiences(DAY.isoformat())
    (export,) = summary["exports"]
    wanted = _treatment(settings)
    assert export["status"] == "ok" and export["added"] == len(wanted) and export["removed"] == 0
    assert sorted(receiver.members("add")) == sorted(wanted), "every treatment member once, no holdout"
    assert all(n == 2 for n in receiver.tries.values()), "each batch failed once (503) and was retried"
    assert export["batches_sent"] == len(receiver.accepted) == -(-len(wanted) // 25)
    assert all(
        set(m) == {"unified_customer_id", "email", "first_name"}
        for b in receiver.accepted
        for m in b["members"]
    )
    with duckdb.connect(str(settings.warehouse_path)) as con:  # three members leave the audience
        con.execute(
            "update marts.customer_predictions set churn_risk_band = 'low' where unified_customer_id in "
            "(select unified_customer_id from marts.audience_members where not is_holdout order by 1 limit 3)"
        )
    again = activate_audiences((DAY + dt.timedelta(days=1)).isoformat())["exports"][0]
    assert again["added"] == 0 and again["removed"] == 3
    assert len(receiver.members("remove")) == 3 and set(receiver.members("remove")) <= wanted


def test_a_failing_destination_fails_loudly_and_the_next_run_resends_only_the_rest(activation_env, receiver):
    settings, _, _ = activation_env
    receiver.down_after = 2
    with pytest.raises(DestinationError, match=r"1 destination\(s\) failed on 2026-06-10: win_back/crm"):
        activate_audiences(DAY.isoformat())
    delivered = receiver.members("add")
    assert len(delivered) == 50, "two batches of 25 got through before the destination went down"
    audit = (settings.exports_dir / "_audit" / "exports.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["status"] == "failed" and "HTTP 500" in json.loads(audit[-1])["error"]
    receiver.down_after = None
    activate_audiences(DAY.isoformat())  # the re-run of the failed date
    received = receiver.members("add")
    assert sorted(received) == sorted(_treatment(settings)), "everyone delivered"
    assert len(received) == len(set(received)), "nothing delivered twice"


def test_an_unset_webhook_url_is_named(activation_env, receiver, monkeypatch):
    monkeypatch.delenv("CDP_WEBHOOK_CRM_URL")
    with pytest.raises(DestinationError, match="win_back/crm"):
        activate_audiences(DAY.isoformat())
    settings, _, _ = activation_env
    line = json.loads((settings.exports_dir / "_audit" / "exports.jsonl").read_text().splitlines()[-1])
    assert "CDP_WEBHOOK_CRM_URL is not set" in line["error"]
