"""Queued erasure requests: a request's identifiers in an owner-only file, so Airflow sees only its id.

    path = queue_request(request)        # cdp erase --queue / --airflow
    airflow dags trigger customer_erasure --conf '{"request_id": "<request.request_id>"}'

Airflow keeps a run's conf and XComs in its metadata database and its task logs in files,
for as long as they are kept (in Postgres, when scaled out, often for good). So the erasure
DAG is triggered with the request id only. The identifiers wait in
`<data>/privacy/requests/<request_id>.json` (folder 0700, file 0600); the resolve task adds
the person's ids and hashes to the same file (its XCom is counts only); every later task
reads them from there; the last task deletes the file. A failed run leaves it for the retry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from customer_platform.config import get_settings
from privacy.atomic import write_text_atomically
from privacy.request import ErasureRequest, ErasureRequestError
from privacy.targets import ErasureTargets

_FILE_MODE, _FOLDER_MODE = 0o600, 0o700


def request_path(request_id: str) -> Path:
    """Where a queued request waits (the id is validated: no folder separators)."""
    return get_settings().erasure_requests_dir / f"{request_id}.json"


def _folder() -> Path:
    folder = get_settings().erasure_requests_dir
    folder.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)
    os.chmod(folder, _FOLDER_MODE)
    return folder


def _write(request_id: str, content: dict[str, Any]) -> Path:
    _folder()
    path = request_path(request_id)
    write_text_atomically(path, json.dumps(content, sort_keys=True), mode=_FILE_MODE)
    return path


def _read(request_id: str) -> dict[str, Any]:
    path = request_path(request_id)
    if not path.is_file():
        raise ErasureRequestError(
            f"request_id: no queued request {request_id} (queue it with `cdp erase --queue`; "
            "a finished request's file is deleted)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def queue_request(request: ErasureRequest) -> Path:
    """Write the request's identifiers to its owner-only file; returns the path."""
    return _write(request.request_id, {"request": request.to_conf()})


def load_request(request_id: str) -> ErasureRequest:
    """The queued request (validated again)."""
    return ErasureRequest.from_conf(_read(request_id)["request"])


def save_targets(targets: ErasureTargets) -> None:
    """Keep the resolved targets (ids and hashes) beside the request, for the later tasks."""
    content = _read(targets.request_id)
    content["targets"] = targets.to_dict()
    _write(targets.request_id, content)


def load_targets(request_id: str) -> ErasureTargets:
    """The targets the resolve task saved."""
    content = _read(request_id)
    if "targets" not in content:
        raise ErasureRequestError(f"request_id: {request_id} is queued but not resolved yet")
    return ErasureTargets.from_dict(content["targets"])


def discard_request(request_id: str) -> bool:
    """Delete the queued request's file (done); True when there was one."""
    path = request_path(request_id)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
