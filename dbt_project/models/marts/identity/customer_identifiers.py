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
    identifiers = dbt.ref("pii_customer_identifiers").df()
    hashed = sorted(
        t for t in identifiers["identifier_type"].dropna().unique() if default_pii(t) != "none"
    ) or [""]  # a typed, never-matching list when nothing is hashed
    session.register("cdp_identifiers", identifiers)
    try:
        hashed_identifiers = session.execute(
            """
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
            from cdp_identifiers
            """,
            {"hashed": hashed, "salt": os.environ["CDP_HASH_SALT"]},
        ).df()
    finally:
        session.unregister("cdp_identifiers")
    return hashed_identifiers
