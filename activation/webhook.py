"""Webhook destinations: incremental sync of an audience in batched JSON, retried, idempotent.

Each sync sends the members added and removed since the last successful one: the destination's
confirmed state is `marts.audience_destination_state` (audience, destination, customer), and
each delivered batch updates it in its own transaction. So a run that fails half-way keeps
what was delivered, and the next run sends only the rest; nothing is sent twice. A batch is
`POST`ed as JSON with an `Idempotency-Key` header (a hash of its content), retried with
exponential backoff on connection errors, timeouts, 429 and 5xx; another 4xx is not retried.
A batch that still fails raises `DestinationError`, which fails the task loudly.

Body: `{"audience", "destination", "logical_date", "operation": "add" | "remove",
"batch", "members": [...]}`; members carry the channel's columns (`activation.exports`):
ids and contacts for email and sms, match keys only for ads; text neutralised as in the export
files (`customer_platform.text_safety`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from activation.audiences import Audience, Destination
from activation.catalog import KEY
from activation.exports import EXPORT_COLUMNS, contact_rows
from customer_platform.text_safety import neutralise_frame
from customer_platform.warehouse_tables import ensure_table

STATE_TABLE = "marts.audience_destination_state"
STATE_COLUMNS = {"audience_name": "varchar", "destination": "varchar", KEY: "varchar", "synced_on": "date"}
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 15
RETRIED_STATUS = (429, 500, 502, 503, 504)


class DestinationError(RuntimeError):
    """A destination that could not take a batch; the message names the audience and destination."""


@dataclass
class SyncResult:
    """Counts of one sync (no personal data)."""

    added: int = 0
    removed: int = 0
    batches_sent: int = 0
    attempts: int = 0


def destination_url(destination: Destination, audience: str) -> str:
    """The webhook URL (from the file or its environment variable); DestinationError when unset."""
    url = destination.url or os.environ.get(destination.url_env, "")
    if not url:
        raise DestinationError(
            f"audience {audience}, destination {destination.name}: environment variable "
            f"{destination.url_env} is not set"
        )
    return url


def idempotency_key(audience: str, destination: str, operation: str, members: list[dict[str, Any]]) -> str:
    """A key fixed by the batch's content: the same batch resent carries the same key."""
    body = json.dumps([audience, destination, operation, members], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def post_batch(url: str, body: dict[str, Any], key: str, label: str) -> int:
    """POST one batch, retrying what can succeed later; returns the attempts used."""
    data = json.dumps(body, default=str).encode()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        request = urllib.request.Request(
            url, data=data, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) checked)
                response.read()
            return attempt
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED_STATUS or attempt == MAX_ATTEMPTS:
                raise DestinationError(f"{label}: HTTP {exc.code} after {attempt} attempt(s)") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == MAX_ATTEMPTS:
                reason = getattr(exc, "reason", exc)
                raise DestinationError(f"{label}: {reason} after {attempt} attempts") from None
        time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _confirmed(con: duckdb.DuckDBPyConnection, audience: str, destination: str) -> set[str]:
    rows = con.execute(
        f"select {KEY} from {STATE_TABLE} where audience_name = ? and destination = ?",
        [audience, destination],
    ).fetchall()
    return {row[0] for row in rows}


def _record(con, audience: str, destination: str, operation: str, ids: list[str], day: dt.date) -> None:
    con.execute("begin transaction")
    try:
        frame = pd.DataFrame({KEY: ids})
        con.register("delivered", frame)
        where = f"audience_name = ? and destination = ? and {KEY} in (select {KEY} from delivered)"
        con.execute(f"delete from {STATE_TABLE} where {where}", [audience, destination])
        if operation == "add":
            con.execute(
                f"insert into {STATE_TABLE} select ?, ?, {KEY}, ? from delivered",
                [audience, destination, day],
            )
        con.unregister("delivered")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def sync_webhook(
    con: duckdb.DuckDBPyConnection,
    audience: Audience,
    destination: Destination,
    members: pd.DataFrame,
    day: dt.date,
) -> SyncResult:
    """Send what changed since the last successful sync of `audience` to `destination`.

    members: today's members of the audience (`is_holdout` flags; holdouts are never sent).
    Must run outside any open transaction on `con`: each delivered batch commits on its own.
    """
    label = f"audience {audience.name}, destination {destination.name}"
    url = destination_url(destination, audience.name)
    ensure_table(con, STATE_TABLE, STATE_COLUMNS)
    wanted = set(members.loc[~members["is_holdout"].astype(bool), KEY])
    confirmed = _confirmed(con, audience.name, destination.name)
    added, removed = sorted(wanted - confirmed), sorted(confirmed - wanted)
    result = SyncResult()
    contacts = neutralise_frame(
        contact_rows(con, pd.Series(added + removed, dtype="object"), audience.channel)
    )[0]
    columns = list(EXPORT_COLUMNS[audience.channel])
    for operation, ids in (("add", added), ("remove", removed)):
        for start in range(0, len(ids), destination.batch_size):
            chunk = ids[start : start + destination.batch_size]
            rows = contacts[contacts[KEY].isin(chunk)][columns]
            payload = rows.astype(object).where(rows.notna(), None).to_dict("records")
            if payload:  # an erased person's removal has no contact left to send
                number = result.batches_sent + 1
                body = {
                    "audience": audience.name, "destination": destination.name, "logical_date": day.isoformat(),
                    "operation": operation, "batch": number, "members": payload,
                }  # fmt: skip
                key = idempotency_key(audience.name, destination.name, operation, payload)
                result.attempts += post_batch(url, body, key, f"{label}, {operation} batch {number}")
                result.batches_sent += 1
            _record(con, audience.name, destination.name, operation, chunk, day)
            if operation == "add":
                result.added += len(chunk)
            else:
                result.removed += len(chunk)
    return result
