"""Find every record of the person to erase: the warehouse identity graph, then silver.

    targets = resolve_erasure_targets(request)  # unified ids, linked records, ids and hashes

The request's identifiers become the values of the identity columns of their key space
(`privacy.columns`): salted and unsalted hashes for an email or phone, the id for a CRM id.
The warehouse knows which source records were resolved to one unified customer
(`marts.customer_identity_map`) and their keys (`intermediate.int_identity_records_unioned`).
Silver adds what arrived since the last build, or a person the warehouse never saw: one
hop from the known keys to the records of the active sources that carry them, harvesting
only the columns that belong to that record. Only salted hashes and ids leave this module:
XCom, the suppression list and the audit never see a raw email or phone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from customer_platform.config import get_settings
from customer_platform.identifiers import salted_sha256, sha256
from customer_platform.partitions import recover_lake
from customer_platform.restricted import CATALOG, attach_restricted
from customer_platform.warehouse import connect_readonly
from privacy.columns import (
    CONTACT_KEY_SPACES,
    harvested_columns,
    identity_column_names,
    identity_columns,
    key_space_columns,
    key_spaces,
    record_id_columns,
    searched_columns,
)
from privacy.request import ErasureRequest

IDENTITY_MAP = "marts.customer_identity_map"
IDENTITY_RECORDS = f"{CATALOG}.intermediate.int_identity_records_unioned"


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

    def salted_hashes(self, key_space: str) -> set[str]:
        """Salted hashes of one key space's values (email, phone)."""
        return {v for c in key_space_columns(key_space, "salted_sha256") for v in self.keys.get(c, ())}

    def contact_hashes(self) -> set[str]:
        """Salted email and phone hashes (matched against raw contact values after normalizing)."""
        return {h for space in CONTACT_KEY_SPACES for h in self.salted_hashes(space)}

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for XCom and JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErasureTargets:
        """Inverse of `to_dict`."""
        return cls(data["request_id"], list(data["unified_customer_ids"]),
                   [list(r) for r in data["records"]], {k: list(v) for k, v in data["keys"].items()})  # fmt: skip


def _encode(value: str, form: str, salt: str) -> str | None:
    if form == "salted_sha256":
        return salted_sha256(value, salt)
    return sha256(value) if form == "sha256" else value


def seed_targets(request: ErasureRequest, salt: str) -> ErasureTargets:
    """The request's identifiers as values of every identity column of their key space."""
    targets = ErasureTargets(request.request_id)
    values = request.values_by_key_space()
    for column in identity_columns():
        for value in values.get(column.key_space or "", ()):
            targets.add(column.name, [_encode(value, column.form, salt)])
    return targets


def share_key_spaces(targets: ErasureTargets) -> None:
    """Give every column of a key space all values found for it (CRM ids are web events' `user_id`)."""
    for columns in key_spaces().values():
        values = {v for c in columns for v in targets.keys.get(c, ())}
        for column in columns:
            targets.add(column, values)


def resolve_erasure_targets(request: ErasureRequest) -> ErasureTargets:
    """The person's unified ids, every linked source record, and their ids and hashes.

    Uses the warehouse identity graph when the person is there, and always the silver
    tables too (records delivered since the last warehouse build, or a person never built).
    """
    targets = seed_targets(request, get_settings().hash_salt)
    expand_from_warehouse(targets)
    expand_from_silver(targets)
    share_key_spaces(targets)
    return targets


# Warehouse ----------------------------------------------------------------------------------
def _columns_by_table(con) -> dict[str, set[str]]:
    rows = con.execute(
        "select case when table_catalog = current_database() then '' else table_catalog || '.' end "
        "|| table_schema || '.' || table_name, column_name from information_schema.columns"
    ).fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def _quoted(columns: Iterable[str]) -> str:
    return ", ".join('"' + c.replace('"', '""') + '"' for c in columns)


def _any_in(columns: Iterable[str], parameter: str) -> str:
    """SQL: one of the columns (contract names, never values) holds one of the parameter's values."""
    return " or ".join(f"({_quoted([c])} in (select unnest(${parameter})))" for c in columns)


def expand_from_warehouse(targets: ErasureTargets) -> None:
    """Add the unified customers holding any known key, all their records and those records' keys."""
    if not get_settings().warehouse_path.exists():
        return
    con = connect_readonly()
    try:
        attach_restricted(con, read_only=True)
        tables = _columns_by_table(con)
        if IDENTITY_MAP not in tables:
            return
        # The record table's columns named like identity columns hold the records' keys.
        key_columns = [c for c in identity_column_names() if c in tables.get(IDENTITY_RECORDS, ())]
        by_key = (
            f" or record_key in (select record_key from {IDENTITY_RECORDS} where {_any_in(key_columns, 'keys')})"
            if key_columns
            else ""
        )
        unified = [
            r[0]
            for r in con.execute(
                f"select distinct unified_customer_id from {IDENTITY_MAP} where "
                f"{_any_in(['source_record_id', 'unified_customer_id'], 'keys')}{by_key} order by 1",
                {"keys": sorted(targets.all_keys())},
            ).fetchall()
        ]
        if not unified:
            return
        records = con.execute(
            f"select source, source_record_id, record_key from {IDENTITY_MAP} "
            "where unified_customer_id in (select unnest($ids)) order by 1, 2",
            {"ids": unified},
        ).fetchall()
        targets.unified_customer_ids = sorted(set(targets.unified_customer_ids) | set(unified))
        known = {tuple(r) for r in targets.records}
        targets.records += [[s, r] for s, r, _ in records if (s, r) not in known]
        for source, column in record_id_columns().items():
            targets.add(column, (r for s, r, _ in records if s == source))
        if key_columns:
            rows = con.execute(
                f"select {_quoted(key_columns)} from {IDENTITY_RECORDS} "
                "where record_key in (select unnest($keys))",
                {"keys": [k for _, _, k in records]},
            ).fetchall()
            for i, column in enumerate(key_columns):
                targets.add(column, (row[i] for row in rows))
    finally:
        con.close()


# Silver -------------------------------------------------------------------------------------
def expand_from_silver(targets: ErasureTargets) -> None:
    """Add the keys of silver records that carry one of the person's keys (one hop, active sources)."""
    import duckdb

    silver = get_settings().silver_dir
    recover_lake()  # a run killed mid-publish must not hide a silver date from the search
    searched = searched_columns()
    con = duckdb.connect()
    try:
        # Registry (trust) order: customer records first, their keys find the later sources' rows.
        for table, harvest_columns in harvested_columns().items():
            files = sorted(str(p) for p in (silver / table).glob("ingest_date=*/*.parquet"))
            if not files:
                continue
            con.execute("create or replace temp table rows as select * from read_parquet($files, union_by_name=true)",
                        {"files": files})  # fmt: skip
            present = {r[0] for r in con.execute("select column_name from (describe rows)").fetchall()}
            match = [c for c in searched[table] if c in present]
            harvest = [c for c in harvest_columns if c in present]
            if not match or not harvest:
                continue
            rows = con.execute(
                f"select distinct {_quoted(harvest)} from rows where {_any_in(match, 'keys')}",
                {"keys": sorted(targets.all_keys())},
            ).fetchall()
            for i, column in enumerate(harvest):
                targets.add(column, (row[i] for row in rows))
    finally:
        con.close()
