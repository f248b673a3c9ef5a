"""Erasure (right to be forgotten), derived from the source registry; imports point one way:

    columns   which silver columns identify a person (registry -> identity, record id, harvested columns)
    request   the validated request: normalized identifiers and the request id
    targets   resolution: the person's unified ids, records, ids and hashes (warehouse, then silver)
    audit     the suppression list and the audit record
    matching  does a raw value or line belong to the person
    purge     landing, lakehouse and warehouse purges; the nightly suppression sweep
    erase     `erase_person`: resolve, suppress, purge, audit

Each module imports only the ones above it (and the foundation, `customer_platform`).
"""
