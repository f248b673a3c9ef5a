"""Whole-file encryption at rest (AES-256-GCM from `cryptography`, streamed in 1 MiB chunks).

Format: `CDPSEAL1` | 16-byte salt | 8-byte nonce prefix, then chunks, each
`length (4 bytes) | ciphertext+tag`. Chunk i uses nonce = prefix | i (4 bytes) and, as
associated data, the header, i and a final-chunk flag, so chunks cannot be reordered,
dropped or the file truncated without the tag check failing. The key is derived per file
(HKDF-SHA256 over the configured secret and the file's salt). Memory stays at one chunk.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CDPSEAL1"
SALT_BYTES = 16
PREFIX_BYTES = 8
CHUNK_BYTES = 1 << 20
HEADER_BYTES = len(MAGIC) + SALT_BYTES + PREFIX_BYTES
INFO = b"customer-platform sealed file v1"


class SealedFileError(ValueError):
    """A sealed file that the key cannot open, or that was damaged or truncated."""


def _aead(secret: str, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(secret.encode("utf-8"))
    return AESGCM(key)


def _associated(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">I?", index, final)


def seal_file(source: Path, target: Path, secret: str) -> int:
    """Encrypt `source` into `target` (created 0600, fsynced); returns bytes written."""
    salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
    header = MAGIC + salt + prefix
    aead = _aead(secret, salt)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as plain:
        out.write(header)
        index, chunk = 0, plain.read(CHUNK_BYTES)
        while True:
            following = plain.read(CHUNK_BYTES) if chunk else b""
            final = not following
            sealed = aead.encrypt(prefix + struct.pack(">I", index), chunk, _associated(header, index, final))
            out.write(struct.pack(">I", len(sealed)) + sealed)
            if final:
                break
            index, chunk = index + 1, following
        out.flush()
        os.fsync(out.fileno())
        return out.tell()


def unseal_file(source: Path, target: Path, secret: str) -> int:
    """Decrypt `source` into `target` (created 0600, fsynced); returns plaintext bytes.

    Raises SealedFileError naming the file for a wrong key, damage or truncation.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    with os.fdopen(fd, "wb") as out, source.open("rb") as sealed:
        header = sealed.read(HEADER_BYTES)
        if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
            raise SealedFileError(f"{source}: not a sealed file")
        salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
        prefix = header[len(MAGIC) + SALT_BYTES :]
        aead = _aead(secret, salt)
        index = 0
        while True:
            length_bytes = sealed.read(4)
            if len(length_bytes) != 4:
                raise SealedFileError(f"{source}: truncated (no final chunk)")
            chunk = sealed.read(struct.unpack(">I", length_bytes)[0])
            final = sealed.peek(1)[:1] == b"" if hasattr(sealed, "peek") else False
            try:
                plain = aead.decrypt(
                    prefix + struct.pack(">I", index), chunk, _associated(header, index, final)
                )
            except InvalidTag:
                raise SealedFileError(
                    f"{source}: the key does not open it, or it was damaged (chunk {index})"
                ) from None
            out.write(plain)
            written += len(plain)
            if final:
                break
            index += 1
        out.flush()
        os.fsync(out.fileno())
    return written
