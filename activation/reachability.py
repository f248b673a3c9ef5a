"""Who an audience may reach: marketing consent for the channel, a usable identifier, not suppressed.

- email: consent, an email address in `restricted.pii.customer_contacts`, and no unsubscribe in the email
  events (an unsubscribe withdraws email consent whatever the CRM says);
- sms: consent and a phone number;
- ads: consent and an email or phone to derive match keys from.
The suppression list (`customer_platform.suppression`) is honoured on top: a customer any of
whose identifiers or hashes has a listed suppression key is never a member, even if their
rows came back.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from customer_platform.restricted import CATALOG, CONTACTS, contact_values
from customer_platform.suppression import suppressed_keys, suppression_key
from customer_platform.warehouse_tables import table_exists

UNSUBSCRIBES = f"{CATALOG}.intermediate.int_email_events_aggregated_to_customers"
#: Contact columns compared with the suppression list (the encrypted ones after decrypting).
SUPPRESSION_COLUMNS = ("unified_customer_id", "email", "phone", "email_hash", "phone_hash", "loyalty_id")
ENCRYPTED_SUPPRESSION_COLUMNS = ("email", "phone", "loyalty_id")
_CHANNEL_TEST = {
    "email": "c.email is not null and not coalesce(u.email_unsubscribes > 0, false)",
    "sms": "c.phone is not null",
    "ads": "(c.email is not null or c.phone is not null)",
}


def reachable_sql(con: duckdb.DuckDBPyConnection, channel: str) -> str:
    """`select unified_customer_id from ...` of the customers `channel` may contact (suppression aside)."""
    if channel not in _CHANNEL_TEST:
        raise ValueError(f"unknown channel {channel!r}; known: {', '.join(_CHANNEL_TEST)}")
    unsubscribes = (
        f"left join {UNSUBSCRIBES} as u using (unified_customer_id)"
        if table_exists(con, UNSUBSCRIBES)
        else "left join (select null::varchar as unified_customer_id, 0 as email_unsubscribes) as u using (unified_customer_id)"
    )
    return (
        f"select c.unified_customer_id from {CONTACTS} as c {unsubscribes} "
        f"where c.has_marketing_consent and {_CHANNEL_TEST[channel]}"
    )


def register_suppressed(con: duckdb.DuckDBPyConnection) -> int:
    """Register the suppressed customers as temp table `suppressed_customers` (one column); returns how many.

    Contact values are encrypted at rest, so the keyed hashes are computed here, after
    decrypting; nothing is decrypted while the suppression list is empty.
    """
    keys = suppressed_keys()
    con.execute("create or replace temp table suppressed_customers (unified_customer_id varchar)")
    if not keys:
        return 0
    clear = con.execute(f"select unified_customer_id, email_hash, phone_hash from {CONTACTS} order by 1").df()
    decrypted = contact_values(con, None, ENCRYPTED_SUPPRESSION_COLUMNS)
    contacts = clear.merge(decrypted, on="unified_customer_id", how="left")
    hit = pd.Series(False, index=contacts.index)
    for column in SUPPRESSION_COLUMNS:
        hit |= contacts[column].map(lambda v: isinstance(v, str) and suppression_key(v) in keys)
    suppressed = pd.DataFrame({"unified_customer_id": sorted(set(contacts.loc[hit, "unified_customer_id"]))})
    con.register("suppressed_frame", suppressed)
    try:
        con.execute("insert into suppressed_customers select unified_customer_id from suppressed_frame")
    finally:
        con.unregister("suppressed_frame")
    return len(suppressed)
