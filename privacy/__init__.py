"""Erasure (right to be forgotten), derived from the source registry; imports point one way:

    columns    which silver columns identify a person (registry -> identity, record id, harvested columns)
    request    the validated request: normalized identifiers and the request id
    targets    resolution: the person's unified ids, records, ids and hashes (warehouse, then silver)
    atomic     atomic, durable file rewrites (temp file, fsync, rename)
    queue      queued requests for the DAG: identifiers in an owner-only file, the conf holds the id
    audit      the suppression list (keyed hashes) and the audit record
    matching   does a raw value or line belong to the person
    scrub      replace the person's values in free text
    purge      landing, lakehouse and warehouse purges; the nightly suppression sweep
    exports    export files
    files      every other file under the data folder: text scrubbed, stray Parquet filtered
    warehouse_text  free-text cells of the warehouse
    erase      `erase_person` and the DAG's steps: resolve, suppress, purge, scrub, rebuild, audit

Each module imports only the ones above it (and the foundation, `customer_platform`).
"""
