"""Queued requests: identifiers wait in an owner-only file; the DAG conf carries the request id only."""

from __future__ import annotations

import json
import stat

import pytest

from privacy.request import ErasureRequest, ErasureRequestError, request_id_from_conf


def test_a_queued_request_is_owner_only_and_read_back_normalized(isolated_settings):
    from privacy.queue import discard_request, load_request, queue_request, request_path

    request = ErasureRequest.from_conf({"email": " Ann@Example.COM ", "phone": "07700 900123"})
    path = queue_request(request)

    assert path == request_path(request.request_id) and path.parent == isolated_settings.erasure_requests_dir
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_request(request.request_id) == request
    assert json.loads(path.read_text())["request"]["email"] == ["ann@example.com"]
    assert discard_request(request.request_id) and not path.exists()
    with pytest.raises(ErasureRequestError, match="^request_id: no queued request"):
        load_request(request.request_id)


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"request_id": "erasure-1", "email": "ann@example.com"}, "^conf: identifiers do not belong"),
        ({"phone": "+447700900123"}, "^conf: identifiers do not belong"),
        ({}, "^request_id: required"),
        ({"request_id": "a/b"}, "^request_id: required"),
        ({"request_id": "r", "colour": "red"}, "^colour: unknown field"),
    ],
)
def test_a_dag_conf_holds_a_request_id_and_nothing_else(conf, message):
    with pytest.raises(ErasureRequestError, match=message) as error:
        request_id_from_conf(conf)
    assert "ann@example.com" not in str(error.value) and "447700900123" not in str(error.value)


def test_a_dag_conf_with_only_the_request_id_is_accepted():
    assert request_id_from_conf({"request_id": "DSR-42", "email": None}) == "DSR-42"


def test_the_queued_steps_keep_ids_and_hashes_beside_the_request_and_delete_it_when_done(isolated_settings):
    from customer_platform.identifiers import salted_sha256
    from privacy.erase import finish_queued, resolve_queued, run_queued_step
    from privacy.queue import queue_request, request_path

    request = ErasureRequest.from_conf({"email": "ann@example.com", "crm_customer_id": "C0000042"})
    queue_request(request)

    resolved = resolve_queued(request.request_id)
    suppressed = run_queued_step("suppress", request.request_id)
    counts = [run_queued_step(step, request.request_id) for step in ("exports", "lakehouse", "files")]
    record = finish_queued(request.request_id, suppressed, counts, compacted=False)

    # Counts only leave the tasks: what Airflow would keep as XCom and print in its log.
    returned = json.dumps([resolved, suppressed, counts, record])
    hashed = salted_sha256("ann@example.com", isolated_settings.hash_salt)
    assert "ann@example.com" not in returned and "C0000042" not in returned and hashed not in returned
    assert resolved == {"request_id": request.request_id, "unified_customers": 0, "source_records": 0}
    # customer_id and web events' user_id (one key space), the salted and the vendors' email hash.
    assert suppressed == 4 and record["request_id"] == request.request_id
    assert not request_path(request.request_id).exists(), "the identifiers are gone with the request"
    with pytest.raises(ValueError, match="unknown erasure step 'landing'"):
        run_queued_step("landing", request.request_id)
