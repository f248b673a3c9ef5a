"""Every identifier a unified customer carries, for analysts: contact values as salted hashes.

The rows of `pii.customer_identifiers` with `identifier_value` replaced by the salted SHA-256
(hex of salt + value, the same key as silver's `email_hash` / `phone_hash`) for identifiers
whose PII class is contact or quasi-identifier (email, phone, names, street address, birth
date, postcode, city); ids (customer, loyalty, user, cookie) stay as they are, so an analyst
goes from a source's customer id to the unified customer and back. The salt is read from
CDP_HASH_SALT at run time and bound as a parameter: it never appears in compiled SQL.
"""

import os

from customer_platform.vocabulary import default_pii


def model(dbt, session):
    dbt.config(materialized="table")
    # Stays in DuckDB: the rows never pass through pandas (millions at scale).
    identifiers = f"({dbt.ref('pii_customer_identifiers').sql_query()})"
    types = session.sql(
        f"select distinct identifier_type from {identifiers} where identifier_type is not null"
    )
    hashed = sorted(t for (t,) in types.fetchall() if default_pii(t) != "none") or [
        ""
    ]  # a typed, never-matching list
    return session.sql(
        f"""
        select
            unified_customer_id,
            source,
            identifier_type,
            case when list_contains($hashed, identifier_type)
                then sha256($salt || identifier_value)
                else identifier_value
            end as identifier_value,
            list_contains($hashed, identifier_type) as is_hashed,
            first_seen,
            last_seen
        from {identifiers}
        """,
        params={"hashed": hashed, "salt": os.environ["CDP_HASH_SALT"]},
    )
