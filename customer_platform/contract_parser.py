"""Read and validate contract YAML files; every mistake names the file, the key and what is allowed."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from customer_platform import contract_plausibility as plausibility
from customer_platform.contract_options import campaign_group_problems, check_relations, limits, relations
from customer_platform.source_contract import (
    ContractError,
    FieldSpec,
    Identifier,
    SilverColumn,
    SourceContract,
)
from customer_platform.vocabulary import (
    DUPLICATE_POLICIES,
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

_CONTRACT_KEYS = {
    "name", "description", "format", "timezone", "delimiter", "natural_key", "latest_by", "free_text",
    "require_one_of", "fields", "silver", "entity", "record_id", "identifiers", "measures", "outliers",
    "pii", "trust_rank", "channel", "example", "quarantine", "duplicates", "relations", "retention",
}  # fmt: skip


def one_of(value: Any, allowed: tuple[str, ...] | dict, where: str, key: str) -> str:
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
            **plausibility.plausible_field(raw, where),
            "aliases": tuple(raw.get("aliases", ())),
            "allowed": tuple(str(v) for v in raw.get("allowed", ())),
            "formats": tuple(raw.get("formats", ())),
        }
    )
    one_of(spec.type, FIELD_TYPES, where, "type")
    if spec.formats and spec.type not in ("date", "timestamp"):
        raise ContractError(f"{where}: formats only apply to date/timestamp fields")
    return spec


def _silver_column(entry: Any, where: str) -> SilverColumn:
    # YAML form: `- email: email` or `- email_hash: {std: salted_sha256, of: email}`.
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ContractError(f"{where}: each silver column is a one-key mapping, got {entry!r}")
    ((name, spec),) = entry.items()
    if spec is None or isinstance(spec, str):
        column = SilverColumn(name=name, std=spec or "copy")
    else:
        args = dict(spec)
        column = SilverColumn(name=name, std=args.pop("std", "copy"), args=args)
    one_of(column.std, STANDARDIZER_NAMES, f"{where} column {name!r}", "std")
    return column


def _identifier(column: str, raw: Any, where: str) -> Identifier:
    spec = {"type": raw} if isinstance(raw, str) else dict(raw or {})
    unknown = set(spec) - {"type", "match", "key_space", "per_record", "form"}
    if unknown:
        raise ContractError(
            f"{where}: unknown keys {sorted(unknown)}; allowed: type, match, key_space, per_record, form"
        )
    type_ = one_of(spec.get("type"), IDENTIFIER_TYPES, where, "type")
    return Identifier(
        column=column,
        type=type_,
        match=one_of(spec.get("match", default_match(type_)), MATCH_KINDS, where, "match"),
        key_space=one_of(spec.get("key_space", type_), IDENTIFIER_TYPES, where, "key_space"),
        per_record=one_of(spec.get("per_record", "all"), PER_RECORD, where, "per_record"),
        form=one_of(spec.get("form", "raw"), IDENTIFIER_FORMS, where, "form"),
    )


def _mapping(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ContractError(f"{where}: {key} must be a mapping of silver column names, got {value!r}")
    return value


def _attempt(problems: list[str], parse, *args):
    """parse(*args), or None with its ContractError's problems added to `problems`."""
    try:
        return parse(*args)
    except ContractError as exc:
        problems.extend(exc.problems)
        return None


def _entries(data: dict[str, Any], key: str, where: str, problems: list[str]) -> list[Any]:
    value = data[key]["columns"] if key == "silver" and isinstance(data[key], dict) else data[key]
    if not isinstance(value, list):
        problems.append(f"{where}: {key} must be a list, got {value!r}")
        return []
    return value


def parse_contract(data: Any, path: Path | None = None) -> SourceContract:
    """Build and validate a contract from its YAML mapping.

    ContractError names the file and key of every mistake found (`.problems`), not only the first.
    """
    where = str(path or (data.get("name") if isinstance(data, dict) else None) or "<contract>")
    if not isinstance(data, dict):
        raise ContractError(f"{where}: a contract is a YAML mapping, got {type(data).__name__}")
    problems: list[str] = []
    unknown = set(data) - _CONTRACT_KEYS
    if unknown:
        problems.append(
            f"{where}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(_CONTRACT_KEYS))}"
        )
    missing = [key for key in ("name", "entity", "fields", "silver", "natural_key") if key not in data]
    problems += [f"{where}: missing required key {key!r}" for key in missing]
    if missing:
        raise ContractError(problems)
    if not isinstance(data["silver"], dict) or "table" not in data["silver"]:
        raise ContractError([*problems, f"{where}: silver must be a mapping with table and columns"])
    entity = _attempt(problems, one_of, data["entity"], ENTITIES, where, "entity")
    fields_ = [
        _attempt(problems, _field, f, f"{where}: field {f.get('name') if isinstance(f, dict) else f!r}")
        for f in _entries(data, "fields", where, problems)
    ]
    columns = [
        _attempt(problems, _silver_column, c, f"{where}: silver")
        for c in _entries(data, "silver", where, problems)
    ]
    identifiers = [
        _attempt(problems, _identifier, column, spec, f"{where}: identifiers.{column}")
        for column, spec in (_attempt(problems, _mapping, data, "identifiers", where) or {}).items()
    ]
    pii = {
        column: _attempt(problems, one_of, cls, PII_CLASSES, f"{where}: pii.{column}", "class")
        for column, cls in (_attempt(problems, _mapping, data, "pii", where) or {}).items()
    }
    measures = _attempt(problems, _mapping, data, "measures", where) or {}
    options = {
        "format": _attempt(problems, one_of, data.get("format", "csv"), FORMATS, where, "format"),
        **(_attempt(problems, limits, data, where) or {}),
        "duplicates": _attempt(
            problems, one_of, data.get("duplicates", "collapse"), DUPLICATE_POLICIES, where, "duplicates"
        ),
        "relations": _attempt(problems, relations, data, entity, where) if entity else {},
        **(_attempt(problems, plausibility.plausibility_options, data, where) or {}),
    }
    if problems:
        raise ContractError(problems)
    try:
        contract = SourceContract(
            name=str(data["name"]),
            fields=tuple(fields_),
            silver_table=data["silver"]["table"],
            silver_columns=tuple(columns),
            natural_key=tuple(data["natural_key"]),
            entity=entity,
            latest_by=data.get("latest_by"),
            timezone=data.get("timezone", "UTC"),
            delimiter=data.get("delimiter", ","),
            require_one_of=tuple(tuple(group) for group in data.get("require_one_of", ())),
            description=data.get("description", ""),
            record_id=data.get("record_id"),
            identifiers=tuple(identifiers),
            measures={str(k): str(v) for k, v in measures.items()},
            pii={**{i.column: default_pii(i.type, i.form) for i in identifiers}, **pii},
            trust_rank=int(data.get("trust_rank", 100)),
            channel=data.get("channel"),
            example=bool(data.get("example", False)),
            path=path,
            **options,
        )
    except ContractError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ContractError(f"{where}: missing or malformed entry {exc}") from exc
    problems = contract_problems(contract, where) + plausibility.plausibility_problems(contract, where)
    if problems:
        raise ContractError(problems)
    return contract


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def contract_problems(contract: SourceContract, where: str) -> list[str]:
    """Every mistake of a parsed contract (columns named that do not exist, measures, ...)."""
    problems: list[str] = []
    for key, value in (("name", contract.name), ("silver.table", contract.silver_table)):
        if not _NAME.match(value):
            problems.append(
                f"{where}: {key} {value!r} must be lower-case letters, digits and _ (a table name)"
            )
    for column in contract.silver_names:
        if not _NAME.match(column):
            problems.append(f"{where}: silver column {column!r} must be lower-case letters, digits and _")
    names = contract.field_names
    if len(set(names)) != len(names):
        problems.append(f"{where}: duplicate field names")
    silver = set(contract.silver_names)
    if not contract.natural_key:
        problems.append(f"{where}: natural_key must name at least one silver column")
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
                problems.append(
                    f"{where}: {key}: {column!r} is not a silver column; silver columns: {', '.join(contract.silver_names)}"
                )
    for group in contract.require_one_of:
        if not set(group) <= set(names):
            problems.append(f"{where}: require_one_of {list(group)} names unknown fields")
    allowed = ENTITY_MEASURES[contract.entity]
    for role in contract.measures:
        if role not in allowed:
            problems.append(
                f"{where}: measures.{role} is not a measure of entity {contract.entity!r}; allowed: {', '.join(allowed)}"
            )
    missing = [role for role, required in allowed.items() if required and role not in contract.measures]
    if contract.entity == "order" and "net_amount" not in contract.measures and not contract.relations:
        missing.append("net_amount (or relations.payments / relations.lines)")
    if missing:
        problems.append(f"{where}: entity {contract.entity!r} needs measures {', '.join(missing)}")
    if contract.entity != "enrichment" and contract.identifiers and not contract.record_id:
        problems.append(f"{where}: record_id is required when a {contract.entity} carries identifiers")
    if contract.entity == "enrichment" and not any(i.form != "raw" or i.is_key for i in contract.identifiers):
        problems.append(f"{where}: an enrichment needs an identifier to join on (e.g. a hashed email)")
    problems += campaign_group_problems(contract, where)
    if contract.trust_rank < 1:
        problems.append(f"{where}: trust_rank must be a positive integer, got {contract.trust_rank}")
    return problems


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
            raise ContractError(
                f"{path}: source {contract.name!r} already defined in {contracts[contract.name].path}"
            )
        contracts[contract.name] = contract
    tables: dict[str, str] = {}
    for contract in contracts.values():
        if contract.silver_table in tables:
            raise ContractError(
                f"{contract.path}: silver table {contract.silver_table!r} is also written by {tables[contract.silver_table]!r}"
            )
        tables[contract.silver_table] = contract.name
    check_relations(contracts)
    return contracts
