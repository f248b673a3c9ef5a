"""The restricted database: raw identifiers live outside the analysts' warehouse file.

dbt writes the `staging`, `intermediate` and `pii` schemas into a second DuckDB file,
CDP_RESTRICTED_PATH (default `data/restricted/restricted.duckdb`), attached to its
connection as the catalog `restricted`; the marts (hashed identifiers only) stay in
CDP_WAREHOUSE_PATH. Analysts get the warehouse file; `cdp query` and
`customer_platform.warehouse_reader.open_for_analysts` cannot attach anything. The file is
sealed (encrypted) at rest and owner-only: customer_platform.restricted_store. Inside it the
contact columns of `pii.customer_contacts` are encrypted per value as well
(customer_platform.pii_cipher).

Stages that need raw values (activation exports, erasure, subject-access exports, co-purchase
recommendations) attach it with `attach_restricted` and name tables `restricted.<schema>.<table>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from customer_platform.config import Settings, get_settings
from customer_platform.pii_cipher import ENCRYPTED_CONTACT_COLUMNS, decrypt_values
from customer_platform.restricted_store import open_for_use, restricted_path, seal_permissions, sealed_path

CATALOG = "restricted"
CONTACTS = f"{CATALOG}.pii.customer_contacts"
IDENTIFIERS = f"{CATALOG}.pii.customer_identifiers"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def attach_restricted(
    con: duckdb.DuckDBPyConnection, *, read_only: bool = False, settings: Settings | None = None
) -> bool:
    """Attach the restricted database as `restricted` on a warehouse connection.

    Returns False (attaching nothing) when a read-only caller finds no restricted file yet,
    so readers of a warehouse without one see empty results rather than an error.
    """
    settings = settings or get_settings()
    attached = {row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()}
    if CATALOG in attached:
        return True
    path = restricted_path(settings)
    if read_only and not path.exists() and not sealed_path(path).exists():
        return False
    path = open_for_use(settings)
    con.execute(f"attach {_quote(path)} as {CATALOG}" + (" (read_only)" if read_only else ""))
    if not read_only:
        seal_permissions(settings)
    return True


def contact_values(
    con: duckdb.DuckDBPyConnection,
    unified_customer_ids: Sequence[str] | None,
    columns: Sequence[str],
    settings: Settings | None = None,
) -> pd.DataFrame:
    """`unified_customer_id` and the decrypted contact `columns` (all customers when ids is None), in id order.

    The restricted database must be attached; the key is CDP_PII_KEY.
    """
    unknown = set(columns) - set(ENCRYPTED_CONTACT_COLUMNS)
    if unknown:
        raise ValueError(f"not an encrypted contact column: {', '.join(sorted(unknown))}")
    selected = ", ".join(f"c.{column}" for column in columns)
    if unified_customer_ids is None:
        frame = con.execute(f"select c.unified_customer_id, {selected} from {CONTACTS} as c order by 1").df()
    else:
        con.register("contact_ids", pd.DataFrame({"unified_customer_id": list(unified_customer_ids)}))
        try:
            frame = con.execute(
                f"select c.unified_customer_id, {selected} from contact_ids as m "
                f"join {CONTACTS} as c using (unified_customer_id) order by 1"
            ).df()
        finally:
            con.unregister("contact_ids")
    return decrypt_contact_columns(frame, settings)


def decrypt_contact_columns(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """A copy of `frame` with its encrypted contact columns (those of ENCRYPTED_CONTACT_COLUMNS it has) decrypted."""
    key = (settings or get_settings()).pii_key
    out = frame.copy()
    for column in ENCRYPTED_CONTACT_COLUMNS:
        if column in out.columns:
            out[column] = pd.Series(
                decrypt_values(_nullable(out[column]), key), index=out.index, dtype="object"
            )
    return out


def _nullable(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v for v in values]


def match_keys(values: pd.Series, *, lower: bool) -> list[str | None]:
    """SHA-256 customer-match keys of emails (lower=True) or phones: trimmed of spaces.

    The same digest as DuckDB's `sha256(lower(trim(email)))` / `sha256(trim(phone))`.
    """
    keys: list[str | None] = []
    for value in _nullable(values):
        if value is None:
            keys.append(None)
            continue
        text = value.strip(" ")
        keys.append(hashlib.sha256((text.lower() if lower else text).encode("utf-8")).hexdigest())
    return keys
