"""Who an audience may reach: marketing consent for the channel, a usable identifier, not suppressed.

- email: consent, an email address in `pii.customer_contacts`, and no unsubscribe in the email
  events (an unsubscribe withdraws email consent whatever the CRM says);
- sms: consent and a phone number;
- ads: consent and an email or phone to derive match keys from.
The suppression list (`customer_platform.suppression`) is honoured on top: a customer any of
whose identifiers or hashes has a listed suppression key is never a member, even if their
rows came back.
"""

from __future__ import annotations

import duckdb

from customer_platform.suppression import suppressed_keys, suppression_prefix
from customer_platform.warehouse_tables import table_exists

CONTACTS = "pii.customer_contacts"
UNSUBSCRIBES = "intermediate.int_email_events_aggregated_to_customers"
#: Contact columns compared with the suppression list.
SUPPRESSION_COLUMNS = ("unified_customer_id", "email", "phone", "email_hash", "phone_hash", "loyalty_id")
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
    """Register the suppressed customers as temp table `suppressed_customers` (one column); returns how many."""
    keys = sorted(suppressed_keys())
    con.execute("create or replace temp table suppression_keys (value varchar)")
    if keys:
        con.executemany("insert into suppression_keys values (?)", [[k] for k in keys])
    matches = " or ".join(
        f"sha256($prefix || c.{column}) in (select value from suppression_keys)"
        for column in SUPPRESSION_COLUMNS
    )
    # A temp table, not a view: the prefix (it holds the salt) stays a parameter.
    con.execute(
        "create or replace temp table suppressed_customers as "
        f"select distinct c.unified_customer_id from {CONTACTS} as c where {matches}",
        {"prefix": suppression_prefix()},
    )
    return con.execute("select count(*) from suppressed_customers").fetchall()[0][0]
