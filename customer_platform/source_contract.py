"""What one source contract holds: its fields, silver columns, identifiers and measures (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customer_platform.vocabulary import FORMATS

#: Silver column numbering exact repeats of a natural key within a delivery (`duplicates: keep`).
OCCURRENCE_COLUMN = "_occurrence"


class ContractError(ValueError):
    """A contract file is invalid; the message names the file, the key and what is allowed.

    `problems` lists every mistake found (the message joins them on one line).
    """

    def __init__(self, message: str | list[str]) -> None:
        self.problems = [message] if isinstance(message, str) else list(message)
        super().__init__("; ".join(self.problems))


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
    min: float | None = None  # value must be >= min
    max: float | None = None  # value must be <= max
    # (field, values): a negative value only when that field is one of the values (a return)
    negative_only_when: tuple[str, tuple[str, ...]] | None = None
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
class OutlierRule:
    """Amounts far beyond a source's history are flagged (counted in the manifest), not dropped.

    A value is an outlier when |value| > factor × the `quantile` of |value| over the source's last
    `history_days` silver partitions (at least `min_history_rows` rows, else nothing is flagged).
    """

    columns: tuple[str, ...]
    factor: float = 10.0
    quantile: float = 0.99
    history_days: int = 30
    min_history_rows: int = 100


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
    max_quarantine_rate: float | None = None  # None: CDP_MAX_QUARANTINE_RATE
    retention_days: int | None = None  # None: raw partitions are kept for ever (spark_jobs.retention)
    duplicates: str = "collapse"  # exact duplicate rows of a delivery: collapse or keep
    relations: dict[str, str] = field(default_factory=dict)  # role -> related source name
    free_text: tuple[str, ...] = ()  # silver columns of free text besides names, streets and cities
    outliers: OutlierRule | None = None  # None: the entity's amount measure with the defaults
    path: Path | None = None

    @property
    def suffixes(self) -> tuple[str, ...]:
        return FORMATS[self.format]

    @property
    def dedup_key(self) -> tuple[str, ...]:
        """Silver columns a row is unique on: the natural key, and its occurrence if repeats are kept."""
        return (*self.natural_key, OCCURRENCE_COLUMN) if self.duplicates == "keep" else self.natural_key

    def quarantine_limit(self, default: float) -> float:
        """The contract's own maximum quarantine rate, else the configured one."""
        return default if self.max_quarantine_rate is None else self.max_quarantine_rate

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
