"""Erase one person everywhere (right to be forgotten) and keep them out of later runs.

    request  = ErasureRequest.from_conf({"email": [...], "phone": "...", "crm_customer_id": "C0000123"})
    targets  = resolve_erasure_targets(request)     # unified ids, linked records, hashes (no raw PII)
    added    = append_to_suppression_list(targets)  # ingestion drops these people from silver
    counts   = purge_lakehouse(targets) | purge_warehouse_layers(targets)
    record   = record_erasure_audit(targets, counts)

`erase_person` runs the steps in that order; the `customer_erasure` DAG runs them as tasks.
Only salted hashes and ids leave `resolve_erasure_targets`: XCom, the suppression list and
the audit never see a raw email or phone. Every step is idempotent: a second run removes
nothing and records an `already_erased` audit row.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from customer_platform.config import get_settings
from spark_jobs.transforms.standardize import (
    normalize_email_py,
    normalize_phone_py,
    salted_sha256_py,
    sha256_py,
)

#: Conf / CLI field names of the identifiers a request may name.
REQUEST_FIELDS = ("email", "phone", "crm_customer_id")
#: Identity-map source -> the silver column holding its record id (suppression list column).
RECORD_ID_COLUMNS = {
    "crm_customers": "customer_id",
    "web_orders": "order_id",
    "pos_orders": "transaction_id",
    "web_events": "cookie_id",
    "email_engagement": "subscriber_id",
}
#: Silver columns whose values identify a person; `user_id` is the CRM id on web events.
IDENTITY_COLUMNS = (
    "customer_id", "user_id", "order_id", "transaction_id", "cookie_id", "subscriber_id",
    "loyalty_id", "email_hash", "phone_hash", "email_sha256",
)  # fmt: skip
AUDIT_TABLE = "audit.erasure_requests"
LAYERS = ("landing", "bronze", "quarantine", "silver", "warehouse", "segments")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_CRM_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ErasureRequestError(ValueError):
    """A request conf is empty or malformed; the message names the field."""


@dataclass(frozen=True)
class ErasureRequest:
    """Validated identifiers of one person: normalized emails, E.164 phones, CRM ids."""

    request_id: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    crm_customer_ids: tuple[str, ...] = ()

    @classmethod
    def from_conf(cls, conf: Mapping[str, Any] | None) -> ErasureRequest:
        """Validate a DAG conf / CLI mapping; each field may be a string or a list of strings.

        `request_id` is optional (a ticket number); by default it is derived from the salted
        identifiers, so the same request always gets the same id.
        """
        conf = {k: v for k, v in dict(conf or {}).items() if v not in (None, "", [])}
        unknown = sorted(set(conf) - {*REQUEST_FIELDS, "request_id"})
        if unknown:
            raise ErasureRequestError(f"{unknown[0]}: unknown field; expected {', '.join(REQUEST_FIELDS)}")
        emails = tuple(_each(conf, "email", normalize_email_py, "an email address"))
        phones = tuple(_each(conf, "phone", normalize_phone_py, "a phone number"))
        crm_ids = tuple(_each(conf, "crm_customer_id", _crm_id, "a CRM customer id"))
        if not (emails or phones or crm_ids):
            raise ErasureRequestError(f"conf: name at least one of {', '.join(REQUEST_FIELDS)}")
        request_id = conf.get("request_id")
        if request_id is None:
            salt = get_settings().hash_salt
            digest = hashlib.sha256(json.dumps([salt, emails, phones, crm_ids]).encode()).hexdigest()
            request_id = f"erasure-{digest[:16]}"
        elif not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            raise ErasureRequestError(f"request_id: {request_id!r} must be 1-80 of A-Z a-z 0-9 _ . : -")
        return cls(request_id, emails, phones, crm_ids)


def _crm_id(value: str) -> str | None:
    text = value.strip()
    return text if _CRM_ID.match(text) else None


def _each(conf: Mapping[str, Any], name: str, normalize, what: str) -> list[str]:
    raw = conf.get(name, [])
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple):
        raise ErasureRequestError(f"{name}: expected a string or a list of strings, got {type(raw).__name__}")
    out = []
    for value in values:
        normalized = normalize(value) if isinstance(value, str) else None
        if normalized is None:
            # Never echo the value: it is personal data and error messages end up in logs.
            raise ErasureRequestError(f"{name}: item {len(out) + 1} is not {what}")
        out.append(normalized)
    return sorted(set(out))


@dataclass
class ErasureTargets:
    """Everything that identifies the person, as ids and salted hashes only (safe for XCom)."""

    request_id: str
    unified_customer_ids: list[str] = field(default_factory=list)
    records: list[list[str]] = field(default_factory=list)  # [source, source_record_id]
    keys: dict[str, list[str]] = field(default_factory=dict)  # identity column -> values

    def add(self, column: str, values: Iterable[str | None]) -> None:
        """Add identity values under a silver column name, keeping lists sorted and unique."""
        merged = set(self.keys.get(column, ())) | {v.strip() for v in values if v and v.strip()}
        if merged:
            self.keys[column] = sorted(merged)

    def all_keys(self) -> set[str]:
        """Every id and hash: what the purges look for."""
        values = {v for vs in self.keys.values() for v in vs} | set(self.unified_customer_ids)
        return values | {record_id for _, record_id in self.records}

    def contact_hashes(self) -> set[str]:
        """Salted email and phone hashes (matched against raw contact values after normalizing)."""
        return set(self.keys.get("email_hash", ())) | set(self.keys.get("phone_hash", ()))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for XCom and JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErasureTargets:
        """Inverse of `to_dict`."""
        return cls(data["request_id"], list(data["unified_customer_ids"]),
                   [list(r) for r in data["records"]], {k: list(v) for k, v in data["keys"].items()})  # fmt: skip


def _seed_targets(request: ErasureRequest, salt: str) -> ErasureTargets:
    targets = ErasureTargets(request.request_id)
    targets.add("email_hash", (salted_sha256_py(e, salt) for e in request.emails))
    targets.add("email_sha256", (sha256_py(e) for e in request.emails))
    targets.add("phone_hash", (salted_sha256_py(p, salt) for p in request.phones))
    targets.add("customer_id", request.crm_customer_ids)
    return targets


def resolve_erasure_targets(request: ErasureRequest) -> ErasureTargets:
    """The person's unified ids, every linked source record, and their ids and hashes.

    Uses the warehouse identity graph when the person is there, and always the silver
    tables too (records delivered since the last warehouse build, or a person never built).
    """
    from privacy.targets import expand_from_silver, expand_from_warehouse

    targets = _seed_targets(request, get_settings().hash_salt)
    expand_from_warehouse(targets)
    expand_from_silver(targets)
    # CRM ids reach web events as `user_id`: suppress them there too.
    targets.add("user_id", targets.keys.get("customer_id", ()))
    return targets


# Suppression list -----------------------------------------------------------------------------
def append_to_suppression_list(targets: ErasureTargets) -> int:
    """Add the person's ids and hashes to the suppression list; returns entries added.

    One line per (column, value), so ingestion's `suppress` drops any row sharing one. The
    header grows with new columns as needed; existing lines are kept. Idempotent.
    """
    path = get_settings().suppression_path
    header, rows = read_suppression_entries(path)
    present = {(name, row[name]) for row in rows for name in header if row.get(name)}
    wanted = sorted(
        (c, v) for c in IDENTITY_COLUMNS for v in targets.keys.get(c, ()) if (c, v) not in present
    )
    if not wanted:
        return 0
    header += [c for c in IDENTITY_COLUMNS if c not in header and c in {w[0] for w in wanted}]
    rows += [{column: value} for column, value in wanted]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)  # readers see the old list or the new one, never half of it
    return len(wanted)


def read_suppression_entries(path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file() or path.stat().st_size == 0:
        return ["email_hash", "phone_hash", "customer_id"], []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
        return [h.strip() for h in reader.fieldnames or [] if h.strip()], rows


# Purges ---------------------------------------------------------------------------------------
def _matcher(targets: ErasureTargets):
    from privacy.purge import ValueMatcher

    return ValueMatcher.for_targets(targets)


def purge_lakehouse(targets: ErasureTargets) -> dict[str, dict[str, int]]:
    """Remove the person from landing, bronze, quarantine and silver; counts per layer and table."""
    from privacy.purge import purge_lakehouse_layer, purge_landing

    settings, matcher = get_settings(), _matcher(targets)
    return {
        "landing": purge_landing(matcher),
        "bronze": purge_lakehouse_layer(settings.bronze_dir, matcher),
        "quarantine": purge_lakehouse_layer(settings.quarantine_dir, matcher),
        "silver": purge_lakehouse_layer(settings.silver_dir, matcher),
    }


def purge_warehouse_layers(targets: ErasureTargets) -> dict[str, dict[str, int]]:
    """Remove the person from every warehouse table; segment tables are counted apart."""
    from privacy.purge import SEGMENT_TABLES, purge_warehouse

    counts = purge_warehouse(targets.all_keys(), targets.contact_hashes(), get_settings().hash_salt)
    return {
        "warehouse": {t: n for t, n in counts.items() if t not in SEGMENT_TABLES},
        "segments": {t: n for t, n in counts.items() if t in SEGMENT_TABLES},
    }


# Audit ----------------------------------------------------------------------------------------
def record_erasure_audit(
    targets: ErasureTargets, counts: Mapping[str, Mapping[str, int]], suppression_added: int
) -> dict[str, Any]:
    """Append the audit record (no PII: ids of the request, counts) to the JSONL log and the warehouse.

    counts: layer -> table -> rows removed, as returned by the purges.
    """
    settings = get_settings()
    removed = {layer: int(sum(counts.get(layer, {}).values())) for layer in LAYERS}
    record = {
        "request_id": targets.request_id,
        "requested_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "status": "erased" if any(removed.values()) or suppression_added else "already_erased",
        "unified_customers": len(targets.unified_customer_ids),
        "source_records": len(targets.records),
        "suppression_entries_added": suppression_added,
        **{f"{layer}_removed": n for layer, n in removed.items()},
        "removed_by_table": {layer: dict(counts.get(layer, {})) for layer in LAYERS},
    }
    path = settings.erasure_audit_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    _append_audit_row(record)
    return record


def _append_audit_row(record: dict[str, Any]) -> None:
    import duckdb

    from customer_platform.warehouse import release_dbt_connections

    settings = get_settings()
    columns = {
        "request_id": "varchar", "requested_at": "timestamptz", "status": "varchar",
        "unified_customers": "integer", "source_records": "integer", "suppression_entries_added": "integer",
        **{f"{layer}_removed": "bigint" for layer in LAYERS}, "removed_by_table": "json",
    }  # fmt: skip
    values = [
        json.dumps(record[c], sort_keys=True) if c == "removed_by_table" else record[c] for c in columns
    ]
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    release_dbt_connections()
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute("create schema if not exists audit")
        ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        con.execute(f"create table if not exists {AUDIT_TABLE} ({ddl})")
        placeholders = ", ".join("?" for _ in columns)
        con.execute(f"insert into {AUDIT_TABLE} ({', '.join(columns)}) values ({placeholders})", values)
    finally:
        con.close()


def erase_person(request: ErasureRequest) -> dict[str, Any]:
    """Resolve, suppress, purge every layer and audit; returns the audit record."""
    targets = resolve_erasure_targets(request)
    added = append_to_suppression_list(targets)  # first: a concurrent ingestion already drops them
    counts = purge_lakehouse(targets) | purge_warehouse_layers(targets)
    return record_erasure_audit(targets, counts, added)
