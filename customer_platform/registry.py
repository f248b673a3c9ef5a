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

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from customer_platform.config import Settings, get_settings
from customer_platform.contract_parser import load_contract, load_contracts, one_of, parse_contract
from customer_platform.source_contract import (
    OCCURRENCE_COLUMN,
    ContractError,
    FieldSpec,
    Identifier,
    SilverColumn,
    SourceContract,
)
from customer_platform.vocabulary import ENTITIES

__all__ = [
    "OCCURRENCE_COLUMN",
    "ContractError",
    "FieldSpec",
    "Identifier",
    "Registry",
    "SilverColumn",
    "SourceContract",
    "get_contract",
    "get_registry",
    "load_contract",
    "load_contracts",
    "parse_contract",
]


@dataclass(frozen=True)
class Registry:
    """The known contracts and the active sources, in ingestion order (trust rank, then name)."""

    contracts: dict[str, SourceContract]
    active: tuple[str, ...]

    def sources(self, entity: str | None = None) -> tuple[SourceContract, ...]:
        """Active contracts, optionally of one entity."""
        if entity is not None:
            one_of(entity, ENTITIES, "registry", "entity")
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
    for name in chosen:
        missing = [r for r in contracts[name].relations.values() if r not in chosen]
        if missing:
            raise ContractError(
                f"CDP_SOURCES: source {name!r} relates to {', '.join(missing)}, which must be active too"
            )
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
