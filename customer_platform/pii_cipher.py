"""Encryption of raw contact values at rest (AES-256-GCM from the `cryptography` package).

The restricted database stores each contact value of `pii.customer_contacts` (email, phone,
names, postcode, loyalty id) as `v1:` + base64(nonce || ciphertext || tag): a fresh random
96-bit nonce per value, so equal values do not look equal (matching and erasure use the
keyed hashes beside them, never the ciphertext). The 256-bit key is derived from
`CDP_PII_KEY` with HKDF-SHA256, so any long random string works as configuration.

Why not DuckDB's own database encryption: DuckDB 2.0 writes encrypted files only with the
`httpfs` extension loaded (its built-in crypto module is read-only), and that extension is a
download, which an offline install cannot make. Measured: `ATTACH ... (ENCRYPTION_KEY ...)`
fails with "DuckDB currently has a read-only crypto module loaded".

Inside dbt the values are encrypted by the `pii_encrypt` SQL function, which
`customer_platform.dbt_pii_plugin` registers on dbt's connection; readers with the key call
`decrypt_values` on what they fetched.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from functools import lru_cache

import duckdb
import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
NONCE_BYTES = 12
KEY_INFO = b"customer-platform pii contact values v1"
KEY_ID_INFO = b"customer-platform pii key id v1"
#: Columns of `pii.customer_contacts` stored encrypted.
ENCRYPTED_CONTACT_COLUMNS = (
    "email", "phone", "first_name", "last_name", "postcode", "city", "birth_date", "loyalty_id",
)  # fmt: skip


class PiiKeyError(ValueError):
    """The configured CDP_PII_KEY cannot decrypt the stored contact values."""


@lru_cache(maxsize=4)
def _cipher(key: str) -> AESGCM:
    if len(key) < 16:
        raise PiiKeyError("CDP_PII_KEY must be at least 16 characters (a long random string)")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(key.encode("utf-8"))
    return AESGCM(derived)


def key_id(key: str) -> str:
    """A short identifier of the key (HKDF with its own label, so it reveals nothing of the key).

    Incremental models hash it into their fingerprints: a new key encrypts every row again.
    """
    _cipher(key)
    return (
        HKDF(algorithm=hashes.SHA256(), length=8, salt=None, info=KEY_ID_INFO)
        .derive(key.encode("utf-8"))
        .hex()
    )


def encrypt_value(value: str | None, key: str) -> str | None:
    """One value encrypted (None stays None)."""
    if value is None:
        return None
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key).encrypt(nonce, value.encode("utf-8"), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def encrypt_values(values: list[str | None], key: str) -> list[str | None]:
    """Values encrypted in order (one call to the random source for all nonces: ~1 µs a value)."""
    seal = _cipher(key).encrypt
    nonces = os.urandom(NONCE_BYTES * len(values))
    out: list[str | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
        sealed = seal(nonce, value.encode("utf-8"), None)
        out.append(PREFIX + base64.b64encode(nonce + sealed).decode("ascii"))
    return out


def decrypt_value(value: str | None, key: str) -> str | None:
    """One stored value decrypted (None stays None); a wrong key raises PiiKeyError."""
    if value is None:
        return None
    if not value.startswith(PREFIX):
        raise PiiKeyError("a stored contact value is not in the encrypted format (v1:...)")
    raw = base64.b64decode(value[len(PREFIX) :])
    try:
        return _cipher(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode("utf-8")
    except InvalidTag:
        raise PiiKeyError(
            "CDP_PII_KEY does not decrypt the restricted contact values (a different key wrote them)"
        ) from None


def decrypt_values(values: Iterable[str | None], key: str) -> list[str | None]:
    """Stored values decrypted in order."""
    return [decrypt_value(v, key) for v in values]


def register_encrypt_function(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Register `pii_encrypt(varchar) -> varchar` (vectorised over Arrow) and `pii_key_id()`."""
    # A fresh nonce per call: the function has side effects, so DuckDB never folds or caches it.
    _register(con, "pii_encrypt", encrypt_values, key, side_effects=True)
    identifier = key_id(key)
    try:
        con.remove_function("pii_key_id")
    except (duckdb.InvalidInputException, duckdb.CatalogException):
        pass
    con.create_function("pii_key_id", lambda: identifier, [], duckdb.sqltype("VARCHAR"))


def register_decrypt_function(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Register `pii_decrypt(varchar) -> varchar` (for holders of the key: operators, comparisons)."""
    _register(con, "pii_decrypt", decrypt_values, key, side_effects=False)


def _register(con: duckdb.DuckDBPyConnection, name: str, transform, key: str, *, side_effects: bool) -> None:
    _cipher(key)  # a too-short key fails here, with its message, not inside a query

    def apply(column: pa.Array) -> pa.Array:
        return pa.array(transform(column.to_pylist(), key), type=pa.string())

    try:
        con.remove_function(name)
    except (duckdb.InvalidInputException, duckdb.CatalogException):
        pass
    con.create_function(
        name,
        apply,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        null_handling="special",
        side_effects=side_effects,
    )
