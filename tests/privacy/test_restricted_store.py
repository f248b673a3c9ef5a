"""The restricted database's life cycle: sealed at rest, unsealed while used, never sealed under a user."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from customer_platform.config import REPO_ROOT, reload_settings
from customer_platform.restricted_store import open_for_use, release_use, seal_restricted, sealed_path
from customer_platform.sealed_file import SealedFileError

HOLDER = """
import sys, time
from customer_platform.config import get_settings
from customer_platform.restricted_store import open_for_use
open_for_use(get_settings())
print("holding", flush=True)
time.sleep(float(sys.argv[1]))
"""


@pytest.fixture()
def restricted(isolated_settings):
    path = open_for_use(isolated_settings)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema pii; create table pii.notes as select 'ann.store@example.com' as email")
    yield isolated_settings, path
    release_use(path)


def test_sealing_encrypts_the_copy_and_the_next_user_unseals_it(restricted):
    settings, path = restricted
    result = seal_restricted(settings)
    assert result["sealed"] and not path.exists()
    assert b"ann.store@example.com" not in sealed_path(path).read_bytes()
    assert seal_restricted(settings)["reason"] == "no working copy (already sealed)"
    with duckdb.connect(str(open_for_use(settings)), read_only=True) as con:
        assert con.execute("select email from pii.notes").fetchall() == [("ann.store@example.com",)]


def test_a_copy_in_use_by_another_process_is_not_sealed_under_it(restricted):
    settings, path = restricted
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "30"], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        result = seal_restricted(settings, wait_seconds=1)
        assert result == {"sealed": False, "reason": "in use by another process after 1 s"}
        assert time.monotonic() - started < 10 and path.exists() and not sealed_path(path).exists()
    finally:
        holder.kill()
        holder.wait()
    assert seal_restricted(settings, wait_seconds=5)["sealed"]  # the holder is gone: its lock with it


def test_another_key_cannot_unseal_it(restricted, monkeypatch):
    settings, path = restricted
    seal_restricted(settings)
    monkeypatch.setenv("CDP_PII_KEY", "someone-elses-key-0123456789")
    other = reload_settings()
    with pytest.raises(SealedFileError, match="the key does not open it"):
        open_for_use(other)
    assert not path.exists()
