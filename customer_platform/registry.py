"""The source registry: every source is one contract YAML, and every stage reads it from here.

A contract (`CDP_CONTRACTS_DIR/<name>.yml`, see `docs/sources.md`) says how a landing file
becomes silver (`fields`, `silver`, `natural_key`) and what a silver row *means*:

- `entity`: what one row is (a customer record, an order line, a web event, ...);
- `record_id`: the silver column naming the identity-graph node a row belongs to;
- `identifiers`: silver columns that identify a person, typed from a fixed vocabulary;
- `measures`: role -> silver column (ordered-at, net amount, event type, ...);
- `pii`: silver column -> class (contact, quasi_identifier); decides hashing, the `pii`
  schema and what erasure searches;
- `trust_rank`: survivorship priority (1 wins).

The active set is `CDP_SOURCES` (default: every contract not marked `example: true`).
Nothing outside the contracts names a source: stages ask `get_registry()`.
This module is pure Python (no Spark): ingestion adds Spark types in `spark_jobs.contracts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from customer_platform.config import Settings, get_settings
from customer_platform.vocabulary import (
    ENTITIES,
    ENTITY_MEASURES,
    FIELD_TYPES,
    FORMATS,
    IDENTIFIER_FORMS,
    IDENTIFIER_TYPES,
    MATCH_KINDS,
    PER_RECORD,
    PII_CLASSES,
    STANDARDIZER_NAMES,
    default_match,
    default_pii,
)


class ContractError(ValueError):
    """A contract file is invalid; the message names the file, the key and what is allowed."""


@dataclass(frozen=True)
class FieldSpec:
    """One contract column: its landing name(s), type and value rules."""

    name: str
    type: str = "string"
    source: str | None = None  # landing header / JSON key; defaults to `name`
    aliases: tuple[str, ...] = ()  # other landing names accepted (renamed columns)
    required: bool = False
    allowed: tuple[str, ...] = ()  # enum values, compared case-insensitively
    gt: float | None = None  # value must be > gt
    ne: float | None = None  # value must be != ne
    pattern: str | None = None  # Java regex the trimmed value must match
    formats: tuple[str, ...] = ()  # date/timestamp patterns; empty means ISO-8601

    @property
    def landing_names(self) -> tuple[str, ...]:
        return (self.source or self.name, *self.aliases)


@dataclass(frozen=True)
class SilverColumn:
    """One silver column: a standardizer name and its arguments (`of`, `country`, ...)."""

    name: str
    std: str = "copy"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Identifier:
    """A silver column that identifies a person."""

    column: str
    type: str
    match: str  # deterministic | probabilistic | both
    key_space: str  # identifiers of the same key space link records (defaults to the type)
    per_record: str = "all"  # all values of a record link, or only its most frequent one
    form: str = "raw"  # raw value, or the sha256 / salted_sha256 of the normalized value

    @property
    def is_key(self) -> bool:
        return self.match in ("deterministic", "both") and self.form == "raw"

    @property
    def is_attribute(self) -> bool:
        return self.match in ("probabilistic", "both") and self.form == "raw"


@dataclass(frozen=True)
class SourceContract:
    """Everything the platform knows about one source."""

    name: str
    format: str
    fields: tuple[FieldSpec, ...]
    silver_table: str
    silver_columns: tuple[SilverColumn, ...]
    natural_key: tuple[str, ...]  # silver column names
    entity: str
    latest_by: str | None = None  # silver column ordering versions of a key (latest wins)
    timezone: str = "UTC"  # zone of naive (offset-less) timestamps in the files
    delimiter: str = ","
    require_one_of: tuple[tuple[str, ...], ...] = ()
    description: str = ""
    record_id: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    measures: dict[str, str] = field(default_factory=dict)
    pii: dict[str, str] = field(default_factory=dict)
    trust_rank: int = 100
    channel: str | None = None
    example: bool = False
    path: Path | None = None

    @property
    def suffixes(self) -> tuple[str, ...]:
        return FORMATS[self.format]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def silver_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.silver_columns)

    def identifier(self, type_: str, form: str = "raw") -> Identifier | None:
        """The first identifier of a type (and form), or None."""
        return next((i for i in self.identifiers if i.type == type_ and i.form == form), None)

    def hash_columns(self, column: str) -> dict[str, str]:
        """Silver columns holding a hash of `column`: {'salted_sha256': ..., 'sha256': ...}."""
        return {
            c.std: c.name
            for c in self.silver_columns
            if c.std in ("salted_sha256", "sha256") and c.args.get("of", c.name) == column
        }

    def columns_of_class(self, pii_class: str) -> tuple[str, ...]:
        """Silver columns of one PII class, in silver order."""
        return tuple(c for c in self.silver_names if self.pii.get(c) == pii_class)


# Parsing --------------------------------------------------------------------------------
_CONTRACT_KEYS = {
    "name", "description", "format", "timezone", "delimiter", "natural_key", "latest_by",
    "require_one_of", "fields", "silver", "entity", "record_id", "identifiers", "measures",
    "pii", "trust_rank", "channel", "example",
}  # fmt: skip


def _one_of(value: Any, allowed: tuple[str, ...] | dict, where: str, key: str) -> str:
    if value not in allowed:
        raise ContractError(f"{where}: {key} {value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _field(raw: dict[str, Any], where: str) -> FieldSpec:
    if not isinstance(raw, dict) or "name" not in raw:
        raise ContractError(f"{where}: each field is a mapping with a name, got {raw!r}")
    unknown = set(raw) - set(FieldSpec.__dataclass_fields__)
    if unknown:
        raise ContractError(
            f"{where}: unknown field keys {sorted(unknown)}; allowed: {', '.join(FieldSpec.__dataclass_fields__)}"
        )
    spec = FieldSpec(
        **{
            **raw,
            "aliases": tuple(raw.get("aliases", ())),
            "allowed": tuple(str(v) for v in raw.get("allowed", ())),
            "formats": tuple(raw.get("formats", ())),
        }
    )
    _one_of(spec.type, FIELD_TYPES, where, "type")
    if spec.formats and spec.type not in ("date", "timestamp"):
        raise ContractError(f"{where}: formats only apply to date/timestamp fields")
    return spec


def _silver_column(entry: Any, where: str) -> SilverColumn:
    # YAML form: `- email: email` or `- email_hash: {std: salted_sha256, of: email}`.
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ContractError(f"{where}: each silver column is a one-key mapping, got {entry!r}")
    ((name, spec),) = entry.items()
    if isinstance(spec, str):
        column = SilverColumn(name=name, std=spec)
    elif spec is None:
        column = SilverColumn(name=name)
    else:
        args = dict(spec)
        column = SilverColumn(name=name, std=args.pop("std", "copy"), args=args)
    _one_of(column.std, STANDARDIZER_NAMES, f"{where} column {name!r}", "std")
    return column


def _identifier(column: str, raw: Any, where: str) -> Identifier:
    spec = {"type": raw} if isinstance(raw, str) else dict(raw or {})
    unknown = set(spec) - {"type", "match", "key_space", "per_record", "form"}
    if unknown:
        raise ContractError(
            f"{where}: unknown keys {sorted(unknown)}; allowed: type, match, key_space, per_record, form"
        )
    type_ = _one_of(spec.get("type"), IDENTIFIER_TYPES, where, "type")
    return Identifier(
        column=column,
        type=type_,
        match=_one_of(spec.get("match", default_match(type_)), MATCH_KINDS, where, "match"),
        key_space=_one_of(spec.get("key_space", type_), IDENTIFIER_TYPES, where, "key_space"),
        per_record=_one_of(spec.get("per_record", "all"), PER_RECORD, where, "per_record"),
        form=_one_of(spec.get("form", "raw"), IDENTIFIER_FORMS, where, "form"),
    )


def _mapping(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ContractError(f"{where}: {key} must be a mapping of silver column names, got {value!r}")
    return value


def parse_contract(data: Any, path: Path | None = None) -> SourceContract:
    """Build and validate a contract from its YAML mapping; ContractError names file and key."""
    where = str(path or (data.get("name") if isinstance(data, dict) else None) or "<contract>")
    if not isinstance(data, dict):
        raise ContractError(f"{where}: a contract is a YAML mapping, got {type(data).__name__}")
    unknown = set(data) - _CONTRACT_KEYS
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(_CONTRACT_KEYS))}")
    for required in ("name", "entity", "fields", "silver", "natural_key"):
        if required not in data:
            raise ContractError(f"{where}: missing required key {required!r}")
    entity = _one_of(data["entity"], ENTITIES, where, "entity")
    try:
        fields_ = tuple(_field(f, f"{where}: field {f.get('name') if isinstance(f, dict) else f!r}")
                        for f in data["fields"])  # fmt: skip
        silver = data["silver"]
        columns = tuple(_silver_column(c, f"{where}: silver") for c in silver["columns"])
        identifiers = tuple(
            _identifier(column, spec, f"{where}: identifiers.{column}")
            for column, spec in _mapping(data, "identifiers", where).items()
        )
        pii = {
            column: _one_of(cls, PII_CLASSES, f"{where}: pii.{column}", "class")
            for column, cls in _mapping(data, "pii", where).items()
        }
        contract = SourceContract(
            name=str(data["name"]),
            format=_one_of(data.get("format", "csv"), FORMATS, where, "format"),
            fields=fields_,
            silver_table=silver["table"],
            silver_columns=columns,
            natural_key=tuple(data["natural_key"]),
            entity=entity,
            latest_by=data.get("latest_by"),
            timezone=data.get("timezone", "UTC"),
            delimiter=data.get("delimiter", ","),
            require_one_of=tuple(tuple(group) for group in data.get("require_one_of", ())),
            description=data.get("description", ""),
            record_id=data.get("record_id"),
            identifiers=identifiers,
            measures={str(k): str(v) for k, v in _mapping(data, "measures", where).items()},
            pii={**{i.column: default_pii(i.type, i.form) for i in identifiers}, **pii},
            trust_rank=int(data.get("trust_rank", 100)),
            channel=data.get("channel"),
            example=bool(data.get("example", False)),
            path=path,
        )
    except (KeyError, TypeError) as exc:
        raise ContractError(f"{where}: missing or malformed entry {exc}") from exc
    _validate(contract, where)
    return contract


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _validate(contract: SourceContract, where: str) -> None:
    for key, value in (("name", contract.name), ("silver.table", contract.silver_table)):
        if not _NAME.match(value):
            raise ContractError(f"{where}: {key} {value!r} must be lower-case letters, digits and _ (a table name)")
    for column in contract.silver_names:
        if not _NAME.match(column):
            raise ContractError(f"{where}: silver column {column!r} must be lower-case letters, digits and _")
    names = contract.field_names
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicate field names")
    silver = set(contract.silver_names)
    if not contract.natural_key:
        raise ContractError(f"{where}: natural_key must name at least one silver column")
    named = {
        "natural_key": contract.natural_key,
        "latest_by": [contract.latest_by] if contract.latest_by else [],
        "record_id": [contract.record_id] if contract.record_id else [],
        "identifiers": [i.column for i in contract.identifiers],
        "measures": list(contract.measures.values()),
        "pii": list(contract.pii),
    }
    for key, columns in named.items():
        for column in columns:
            if column not in silver:
                raise ContractError(
                    f"{where}: {key}: {column!r} is not a silver column; silver columns: {', '.join(contract.silver_names)}"
                )
    for group in contract.require_one_of:
        if not set(group) <= set(names):
            raise ContractError(f"{where}: require_one_of {list(group)} names unknown fields")
    allowed = ENTITY_MEASURES[contract.entity]
    for role in contract.measures:
        if role not in allowed:
            raise ContractError(
                f"{where}: measures.{role} is not a measure of entity {contract.entity!r}; allowed: {', '.join(allowed)}"
            )
    missing = [role for role, required in allowed.items() if required and role not in contract.measures]
    if missing:
        raise ContractError(f"{where}: entity {contract.entity!r} needs measures {', '.join(missing)}")
    if contract.entity != "enrichment" and contract.identifiers and not contract.record_id:
        raise ContractError(f"{where}: record_id is required when a {contract.entity} carries identifiers")
    if contract.entity == "enrichment" and not any(i.form != "raw" or i.is_key for i in contract.identifiers):
        raise ContractError(f"{where}: an enrichment needs an identifier to join on (e.g. a hashed email)")
    if contract.trust_rank < 1:
        raise ContractError(f"{where}: trust_rank must be a positive integer, got {contract.trust_rank}")


def load_contract(path: Path) -> SourceContract:
    """Read one contract YAML file."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from exc
    return parse_contract(data, path)


@lru_cache(maxsize=8)
def load_contracts(directory: Path) -> dict[str, SourceContract]:
    """Every contract in `directory` (*.yml, *.yaml), keyed by source name."""
    if not directory.is_dir():
        raise ContractError(f"CDP_CONTRACTS_DIR={directory} is not a directory")
    contracts: dict[str, SourceContract] = {}
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        contract = load_contract(path)
        if contract.name in contracts:
            raise ContractError(f"{path}: source {contract.name!r} already defined in {contracts[contract.name].path}")
        contracts[contract.name] = contract
    tables: dict[str, str] = {}
    for contract in contracts.values():
        if contract.silver_table in tables:
            raise ContractError(
                f"{contract.path}: silver table {contract.silver_table!r} is also written by {tables[contract.silver_table]!r}"
            )
        tables[contract.silver_table] = contract.name
    return contracts


# The registry ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Registry:
    """The known contracts and the active sources, in ingestion order (trust rank, then name)."""

    contracts: dict[str, SourceContract]
    active: tuple[str, ...]

    def sources(self, entity: str | None = None) -> tuple[SourceContract, ...]:
        """Active contracts, optionally of one entity."""
        if entity is not None:
            _one_of(entity, ENTITIES, "registry", "entity")
        return tuple(self.contracts[n] for n in self.active if entity in (None, self.contracts[n].entity))

    def get(self, name: str) -> SourceContract:
        """A known contract (active or not); KeyError names the known sources."""
        if name not in self.contracts:
            raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(self.contracts))}")
        return self.contracts[name]

    @property
    def silver_tables(self) -> dict[str, str]:
        """Active source -> silver table."""
        return {c.name: c.silver_table for c in self.sources()}

    def by_silver_table(self, table: str) -> SourceContract:
        """The active contract writing a silver table."""
        for contract in self.sources():
            if contract.silver_table == table:
                return contract
        raise KeyError(f"no active source writes silver table {table!r}")


def _active(contracts: dict[str, SourceContract], requested: tuple[str, ...]) -> tuple[str, ...]:
    if requested:
        unknown = [n for n in requested if n not in contracts]
        if unknown:
            raise ContractError(
                f"CDP_SOURCES names unknown source(s) {', '.join(unknown)}; known: {', '.join(sorted(contracts))}"
            )
        chosen = list(dict.fromkeys(requested))
    else:
        chosen = [n for n, c in contracts.items() if not c.example]
    return tuple(sorted(chosen, key=lambda n: (contracts[n].trust_rank, n)))


@lru_cache(maxsize=8)
def _registry(directory: Path, requested: tuple[str, ...]) -> Registry:
    contracts = load_contracts(directory)
    return Registry(contracts=contracts, active=_active(contracts, requested))


def get_registry(settings: Settings | None = None) -> Registry:
    """The registry of the configured contracts folder and active sources."""
    settings = settings or get_settings()
    return _registry(settings.contracts_dir, settings.requested_sources)


def get_contract(source: str, settings: Settings | None = None) -> SourceContract:
    """The contract of `source` (active or not); KeyError names the known sources."""
    return get_registry(settings).get(source)
