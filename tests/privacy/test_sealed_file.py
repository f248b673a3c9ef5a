"""The restricted database's at-rest encryption: round trip, wrong key, damage and truncation refused."""

from __future__ import annotations

import os
import struct

import pytest

from customer_platform.sealed_file import CHUNK_BYTES, HEADER_BYTES, SealedFileError, seal_file, unseal_file

KEY = "a-long-random-test-secret-0123456789"


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES, 2 * CHUNK_BYTES + 17])
def test_a_sealed_file_opens_to_the_same_bytes_and_hides_them(tmp_path, size):
    plain = (b"ann.sealed@example.com," * (size // 23 + 1))[:size]
    source, sealed, opened = tmp_path / "plain", tmp_path / "sealed", tmp_path / "opened"
    source.write_bytes(plain)
    seal_file(source, sealed, KEY)
    assert b"ann.sealed@example.com" not in sealed.read_bytes()
    assert oct(sealed.stat().st_mode & 0o777) == oct(0o600)
    assert unseal_file(sealed, opened, KEY) == size
    assert opened.read_bytes() == plain


def _sealed(tmp_path, chunks: int = 3) -> bytes:
    source, sealed = tmp_path / "plain", tmp_path / "sealed"
    source.write_bytes(os.urandom(chunks * CHUNK_BYTES - 5))
    seal_file(source, sealed, KEY)
    return sealed.read_bytes()


def test_the_wrong_key_is_refused(tmp_path):
    sealed = tmp_path / "s"
    sealed.write_bytes(_sealed(tmp_path))
    with pytest.raises(SealedFileError, match="the key does not open it"):
        unseal_file(sealed, tmp_path / "out", "another-long-random-secret-012345")


def test_a_flipped_bit_and_a_file_cut_at_a_chunk_boundary_are_refused(tmp_path):
    data = _sealed(tmp_path)
    flipped = bytearray(data)
    flipped[HEADER_BYTES + 100] ^= 1
    first = struct.unpack(">I", data[HEADER_BYTES : HEADER_BYTES + 4])[0]
    cut_at_boundary = data[: HEADER_BYTES + 4 + first]  # a whole first chunk, nothing after it
    for damaged in (bytes(flipped), cut_at_boundary, data[:-10]):
        path = tmp_path / "damaged"
        path.write_bytes(damaged)
        with pytest.raises(SealedFileError):
            unseal_file(path, tmp_path / "out", KEY)


def test_a_file_that_is_not_sealed_is_named(tmp_path):
    path = tmp_path / "plain.duckdb"
    path.write_bytes(b"DUCK" * 100)
    with pytest.raises(SealedFileError, match="plain.duckdb: not a sealed file"):
        unseal_file(path, tmp_path / "out", KEY)
