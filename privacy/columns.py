"""Which silver columns identify a person, derived from the active sources' contracts.

A column identifies a person when the contract declares it so:
- the source's `record_id` (the identity-graph record: a contact, an order, a cookie);
- a key identifier (`match: deterministic | both`) in raw form that is not personal data
  itself (PII class `none`: customer, loyalty, user and cookie ids);
- the hash columns (`std: salted_sha256 | sha256, of: <column>`) of a key identifier that is
  contact data or a quasi-identifier: erasure lists and searches the hashes, never the raw
  email or phone;
- an identifier delivered hashed (`form: sha256 | salted_sha256`, e.g. a vendor's email key).

Matching attributes (names, birth dates, places) are not searched for: they identify only in
combination, and the rows carrying them go with the records found by the keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_platform.registry import Registry, SourceContract, get_registry

#: Key spaces whose salted hashes stand for a raw value that purges recognise after normalising.
CONTACT_KEY_SPACES = ("email", "phone")


@dataclass(frozen=True)
class IdentityColumn:
    """A silver column whose values (ids or hashes) identify a person."""

    name: str
    #: Identifiers of one key space hold the same values (`customer_id`, and `user_id` on web
    #: events); None for a record id that is no identifier (an order or subscriber id).
    key_space: str | None
    form: str = "raw"  # raw | sha256 | salted_sha256


def _is_personal(contract: SourceContract, column: str) -> bool:
    return contract.pii.get(column, "none") != "none"


def _as_identity(contract: SourceContract, column: str, key_space: str | None) -> list[IdentityColumn]:
    """The column itself when it is no personal data, else its hash columns."""
    if not _is_personal(contract, column):
        return [IdentityColumn(column, key_space)]
    return [IdentityColumn(name, key_space, form) for form, name in contract.hash_columns(column).items()]


def _record_id(contract: SourceContract) -> list[IdentityColumn]:
    if not contract.record_id:
        return []
    raw = next((i for i in contract.identifiers if i.column == contract.record_id and i.form == "raw"), None)
    return _as_identity(contract, contract.record_id, raw.key_space if raw else None)


def _identifier_columns(contract: SourceContract, per_record: tuple[str, ...]) -> list[IdentityColumn]:
    columns: list[IdentityColumn] = []
    for identifier in contract.identifiers:
        if identifier.per_record not in per_record:
            continue
        if identifier.form != "raw":
            columns.append(IdentityColumn(identifier.column, identifier.key_space, identifier.form))
        elif identifier.is_key:
            columns += _as_identity(contract, identifier.column, identifier.key_space)
    return columns


def _unique(columns: list[IdentityColumn]) -> tuple[IdentityColumn, ...]:
    return tuple(dict.fromkeys(columns))


def identity_columns_of(contract: SourceContract) -> tuple[IdentityColumn, ...]:
    """Every column of one source whose values identify a person (what its rows are matched by)."""
    return _unique(_record_id(contract) + _identifier_columns(contract, ("all", "most_frequent")))


def harvested_columns_of(contract: SourceContract) -> tuple[str, ...]:
    """Columns of a matching row that belong to the person: the record id and its own keys.

    An identifier that links only its record's most frequent value (a shared computer's
    user ids) is not harvested: a shared cookie must not pull in its other users. A source
    without a record id (an enrichment) holds no record of the person and harvests nothing.
    """
    if not contract.record_id:
        return ()
    columns = _record_id(contract) + _identifier_columns(contract, ("all",))
    return tuple(dict.fromkeys(c.name for c in columns))


def identity_columns(registry: Registry | None = None) -> tuple[IdentityColumn, ...]:
    """Identity columns of every active source, in registry order, without repeats."""
    registry = registry or get_registry()
    return _unique([c for contract in registry.sources() for c in identity_columns_of(contract)])


def identity_column_names(registry: Registry | None = None) -> tuple[str, ...]:
    """Names of the identity columns: the suppression list's columns, in order."""
    return tuple(dict.fromkeys(c.name for c in identity_columns(registry)))


def record_id_columns(registry: Registry | None = None) -> dict[str, str]:
    """Active source -> the silver column holding its identity-graph record id."""
    registry = registry or get_registry()
    return {c.name: c.record_id for c in registry.sources() if c.record_id}


def harvested_columns(registry: Registry | None = None) -> dict[str, tuple[str, ...]]:
    """Active silver table -> the columns harvested from its matching rows, in registry order.

    Registry order is trust order: the customer records come first, so the keys they
    harvest (loyalty ids, contact hashes) find the records of the sources after them.
    """
    registry = registry or get_registry()
    harvested = {c.silver_table: harvested_columns_of(c) for c in registry.sources()}
    return {table: columns for table, columns in harvested.items() if columns}


def searched_columns(registry: Registry | None = None) -> dict[str, tuple[str, ...]]:
    """Active silver table -> the identity columns its rows are matched by."""
    registry = registry or get_registry()
    return {
        c.silver_table: tuple(dict.fromkeys(i.name for i in identity_columns_of(c)))
        for c in registry.sources()
    }


def key_space_columns(
    key_space: str, form: str | None = None, registry: Registry | None = None
) -> tuple[str, ...]:
    """Names of the identity columns of one key space (optionally of one form)."""
    return tuple(
        dict.fromkeys(
            c.name for c in identity_columns(registry) if c.key_space == key_space and form in (None, c.form)
        )
    )


def key_spaces(registry: Registry | None = None) -> dict[tuple[str, str], tuple[str, ...]]:
    """(key space, form) -> names of the columns holding those values (e.g. customer_id, user_id)."""
    spaces: dict[tuple[str, str], list[str]] = {}
    for column in identity_columns(registry):
        if column.key_space is not None:
            names = spaces.setdefault((column.key_space, column.form), [])
            if column.name not in names:
                names.append(column.name)
    return {space: tuple(names) for space, names in spaces.items()}
