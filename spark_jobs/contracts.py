"""Source contracts: what a landing file must look like and how its rows become silver.

A contract is declared in `spark_jobs/contracts/<name>.yml` (see `crm_customers.yml` for
a commented example). Onboarding a user's own export means adding or editing a YAML file:
landing column names map onto contract names (`source`, `aliases`), value rules and
timestamp formats are data, and silver columns are built from a fixed vocabulary of
standardizers (`transforms.silver.STANDARDIZERS`). No job code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"

SPARK_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "long": LongType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "timestamp": TimestampType(),
}

FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".txt"),
    "jsonl": (".jsonl", ".json", ".ndjson"),
}

#: Lineage columns on every bronze and silver row (docs/contracts.md).
LINEAGE_FIELDS: tuple[StructField, ...] = (
    StructField("_source_file", StringType()),
    StructField("_ingest_date", DateType()),
    StructField("_run_id", StringType()),
    StructField("_ingested_at", TimestampType()),
)

QUARANTINE_SCHEMA = StructType(
    [
        StructField("_raw_line", StringType()),
        StructField("_reason", StringType()),
        StructField("_source_file", StringType()),
        StructField("_line_number", LongType()),
        StructField("_ingest_date", DateType()),
        StructField("_run_id", StringType()),
        StructField("_ingested_at", TimestampType()),
    ]
)


class ContractError(ValueError):
    """A contract file is invalid; the message names the file and the offending entry."""


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

    @property
    def spark_type(self) -> DataType:
        return SPARK_TYPES[self.type]


@dataclass(frozen=True)
class SilverColumn:
    """One silver column: a standardizer name and its arguments (`of`, `country`, ...)."""

    name: str
    std: str = "copy"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceContract:
    """Everything the ingest job needs to know about one source."""

    name: str
    format: str
    fields: tuple[FieldSpec, ...]
    silver_table: str
    silver_columns: tuple[SilverColumn, ...]
    natural_key: tuple[str, ...]  # silver column names
    latest_by: str | None = None  # silver column ordering versions of a key (latest wins)
    timezone: str = "UTC"  # zone of naive (offset-less) timestamps in the files
    delimiter: str = ","
    require_one_of: tuple[tuple[str, ...], ...] = ()
    description: str = ""
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

    def bronze_schema(self) -> StructType:
        """Typed contract columns, `_line_number`, then the lineage columns."""
        typed = [StructField(f.name, f.spark_type) for f in self.fields]
        return StructType([*typed, StructField("_line_number", LongType()), *LINEAGE_FIELDS])


def _field(raw: dict[str, Any], where: str) -> FieldSpec:
    unknown = set(raw) - {f for f in FieldSpec.__dataclass_fields__}
    if unknown:
        raise ContractError(f"{where}: unknown field keys {sorted(unknown)}")
    spec = FieldSpec(
        **{
            **raw,
            "aliases": tuple(raw.get("aliases", ())),
            "allowed": tuple(str(v) for v in raw.get("allowed", ())),
            "formats": tuple(raw.get("formats", ())),
        }
    )
    if spec.type not in SPARK_TYPES:
        raise ContractError(f"{where}: type {spec.type!r} is not one of {sorted(SPARK_TYPES)}")
    if spec.formats and spec.type not in ("date", "timestamp"):
        raise ContractError(f"{where}: formats only apply to date/timestamp fields")
    return spec


def _silver_column(entry: Any, where: str) -> SilverColumn:
    # YAML form: `- email: email` or `- email_hash: {std: salted_sha256, of: email}`.
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ContractError(f"{where}: each silver column is a one-key mapping, got {entry!r}")
    ((name, spec),) = entry.items()
    if isinstance(spec, str):
        return SilverColumn(name=name, std=spec)
    if spec is None:
        return SilverColumn(name=name)
    args = dict(spec)
    return SilverColumn(name=name, std=args.pop("std", "copy"), args=args)


def parse_contract(data: dict[str, Any], path: Path | None = None) -> SourceContract:
    """Build and validate a contract from its YAML mapping."""
    where = str(path or data.get("name", "<contract>"))
    try:
        fields = tuple(_field(f, f"{where}: field {f.get('name')!r}") for f in data["fields"])
        silver = data["silver"]
        columns = tuple(_silver_column(c, f"{where}: silver") for c in silver["columns"])
        contract = SourceContract(
            name=data["name"],
            format=data.get("format", "csv"),
            fields=fields,
            silver_table=silver["table"],
            silver_columns=columns,
            natural_key=tuple(data["natural_key"]),
            latest_by=data.get("latest_by"),
            timezone=data.get("timezone", "UTC"),
            delimiter=data.get("delimiter", ","),
            require_one_of=tuple(tuple(group) for group in data.get("require_one_of", ())),
            description=data.get("description", ""),
            path=path,
        )
    except (KeyError, TypeError) as exc:
        raise ContractError(f"{where}: missing or malformed entry {exc}") from exc
    _validate(contract, where)
    return contract


def _validate(contract: SourceContract, where: str) -> None:
    from spark_jobs.transforms.silver import STANDARDIZERS

    if contract.format not in FORMATS:
        raise ContractError(f"{where}: format {contract.format!r} is not one of {sorted(FORMATS)}")
    names = contract.field_names
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: duplicate field names")
    silver_names = [c.name for c in contract.silver_columns]
    for column in contract.silver_columns:
        if column.std not in STANDARDIZERS:
            raise ContractError(f"{where}: silver column {column.name!r}: unknown std {column.std!r}")
    if not contract.natural_key:
        raise ContractError(f"{where}: natural_key must name at least one silver column")
    for key in (*contract.natural_key, *([contract.latest_by] if contract.latest_by else [])):
        if key not in silver_names:
            raise ContractError(f"{where}: {key!r} (natural_key/latest_by) is not a silver column")
    for group in contract.require_one_of:
        if not set(group) <= set(names):
            raise ContractError(f"{where}: require_one_of {list(group)} names unknown fields")


def load_contract(path: Path) -> SourceContract:
    """Read one contract YAML file."""
    with path.open(encoding="utf-8") as handle:
        return parse_contract(yaml.safe_load(handle), path)


@lru_cache(maxsize=4)
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, SourceContract]:
    """Every contract in `directory` (*.yml), keyed by source name."""
    contracts: dict[str, SourceContract] = {}
    for path in sorted(directory.glob("*.yml")):
        contract = load_contract(path)
        if contract.name in contracts:
            raise ContractError(
                f"{path}: source {contract.name!r} already defined in {contracts[contract.name].path}"
            )
        contracts[contract.name] = contract
    return contracts


def get_contract(source: str) -> SourceContract:
    """The contract of `source`; KeyError names the known sources."""
    contracts = load_contracts()
    if source not in contracts:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(sorted(contracts))}")
    return contracts[source]
