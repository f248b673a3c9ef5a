"""What a source contract promises about its silver table, derived once (pure Python, no GX).

Every silver suite is built from these rules (`expectations.suites.silver.suite`); nothing
here names a source: the rules read a `SourceContract`'s silver columns, fields, identifiers,
measures and entity. The derivation, column by column (see also expectations/README.md):

- **columns**: the contract's silver columns (lineage columns are added by the suite).
- **required** (critical not-null): every input of the silver column is required and its
  standardizer keeps a present value present. Inputs are the `of` argument (or the column's
  own name) or, for `amount_in_base`, its quantity, price and currency; an input names an
  earlier silver column or a contract field (as in spark_jobs/transforms/silver.py). `email`,
  `phone` and `country` null what they cannot parse, `expr` may yield null: never required.
- **timestamps** (critical, not after the logical day): silver columns of type timestamp
  (a `copy` of a timestamp field, or cast with `type: timestamp`) and measures named `*_at`.
- **formats**: email / phone identifiers (raw) and `email` / `phone` columns (critical,
  `mostly`); every hash column (`hash_columns`) matches SHA-256 hex as a warning, and is
  critical when the hash *is* the identifier (`form: sha256|salted_sha256`: the join key);
  the `country_code` measure and `country` columns (warning); `birth_date` identifiers lie
  between 1900-01-01 and the logical date (warning).
- **value rules**: a field's `allowed`, `gt`, `ne`, `min` and `max`, re-checked on the silver column that
  carries its value (`copy`; `trim`/`lower`/`upper` for `allowed`, values re-cased); plus the
  plausibility limits of `unit_price` and `line_amount` from `GateThresholds`. Critical for
  the measures the marts compute from (`CRITICAL_VALUE_ROLES`), warnings otherwise.
- **role checks** (warnings): `marketing_consent` present; `observed_at >= first_seen_at`.
- **history**: null-rate drift on every nullable silver column except hash columns (a hash
  moves with its source column; required columns are already critically not-null); mean drift
  on the measures the marts average (`MEAN_DRIFT_ROLES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_platform.registry import FieldSpec, SilverColumn, SourceContract
from expectations.common import CRITICAL, WARNING, GateThresholds

#: Measure roles the marts compute from (amounts, counts, line order, classifications):
#: their value rules stop the gate. Others (currency, enrichment bands) only warn, e.g. an
#: unknown currency already nulls `line_amount`, which is critical.
CRITICAL_VALUE_ROLES = frozenset(
    {
        "line_number",
        "quantity",
        "unit_price",
        "line_amount",
        "net_amount",
        "amount",
        "event_type",
        "order_status",
        "group",  # a campaign member outside treatment / holdout would corrupt a measured lift
    }
)
#: Measure roles whose daily mean is watched: basket value, basket size, household size.
MEAN_DRIFT_ROLES = ("line_amount", "net_amount", "amount", "quantity", "household_size")
#: (later, earlier) measure roles: a row's later timestamp is not before its earlier one.
ORDERED_ROLES = (("observed_at", "first_seen_at"),)
#: Measure roles expected on every row (warning): unknown consent silently shrinks audiences.
PRESENT_ROLES = ("marketing_consent",)

HASH_STDS = ("salted_sha256", "sha256")
_NULLING_STDS = ("email", "phone", "country", "expr")
_CASE = {"lower": str.lower, "upper": str.upper}
_NUMERIC = ("int", "long", "double")


@dataclass(frozen=True)
class ColumnValues:
    """A column whose values must (or must not) be in a set."""

    column: str
    values: tuple
    severity: str


@dataclass(frozen=True)
class ColumnRange:
    """A column whose values lie within bounds (None: unbounded on that side)."""

    column: str
    severity: str
    min_value: float | None = None
    max_value: float | None = None
    strict_min: bool = False


@dataclass(frozen=True)
class SilverRules:
    """Everything a silver suite checks for one contract."""

    source: str
    table: str
    columns: tuple[str, ...]
    natural_key: tuple[str, ...]
    required: tuple[str, ...]
    timestamps: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    key_hashes: tuple[str, ...] = ()  # critical SHA-256 format: the hash is the identifier
    hashes: tuple[str, ...] = ()  # warning SHA-256 format: hashes of other columns
    country_codes: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    in_sets: tuple[ColumnValues, ...] = ()
    not_in_sets: tuple[ColumnValues, ...] = ()
    ranges: tuple[ColumnRange, ...] = ()
    present: tuple[str, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()
    null_drift: tuple[str, ...] = ()
    mean_drift: tuple[str, ...] = ()
    #: The first partition is an initial load (all contacts, a year of orders): no baseline.
    first_partition_is_initial_load: bool = True

    @property
    def suite_name(self) -> str:
        return suite_name(self.table)


def suite_name(silver_table: str) -> str:
    """Name of the suite of one silver table."""
    return f"silver.{silver_table}"


@dataclass(frozen=True)
class _Lineage:
    """What a silver column carries: a field's value (unchanged up to case), its type, presence."""

    field: FieldSpec | None = None
    required: bool = False
    type: str | None = None
    case: str | None = None  # "lower" / "upper" when the value was re-cased
    std: str = "copy"


def column_lineage(contract: SourceContract) -> dict[str, _Lineage]:
    """Silver column -> its lineage, resolving inputs through earlier silver columns first."""
    fields = {f.name: f for f in contract.fields}
    resolved: dict[str, _Lineage] = {}

    def source_of(name: str) -> _Lineage:
        if name in resolved:
            return resolved[name]
        spec = fields.get(name)
        return _Lineage(field=spec, required=spec.required, type=spec.type) if spec else _Lineage()

    for column in contract.silver_columns:
        resolved[column.name] = _lineage(column, source_of)
    return resolved


def _lineage(column: SilverColumn, source_of) -> _Lineage:
    cast = column.args.get("type")
    if column.std == "amount_in_base":
        inputs = [source_of(column.args.get(k, "")) for k in ("quantity", "price", "currency")]
        return _Lineage(required=all(i.required for i in inputs), type="double", std=column.std)
    if column.std == "const":
        return _Lineage(required=column.args.get("value") is not None, type=cast, std=column.std)
    if column.std in _NULLING_STDS:
        return _Lineage(type=cast or ("string" if column.std != "expr" else None), std=column.std)
    source = source_of(column.args.get("of", column.name))
    if column.std == "copy":
        same_type = cast is None or cast == source.type
        return _Lineage(
            field=source.field if same_type else None,
            required=source.required,
            type=cast or source.type,
            case=source.case,
            std=column.std,
        )
    if column.std in ("trim", "lower", "upper"):
        case = column.std if column.std in _CASE else source.case
        return _Lineage(
            field=source.field, required=source.required, type="string", case=case, std=column.std
        )
    # title, postcode, hashes: present in, present out, but the value is rewritten.
    return _Lineage(required=source.required, type="string", std=column.std)


def derive_rules(contract: SourceContract, thresholds: GateThresholds | None = None) -> SilverRules:
    """The rules of the contract's silver table (see the module docstring for each one)."""
    thresholds = thresholds or GateThresholds()
    lineage = column_lineage(contract)
    roles = {column: role for role, column in contract.measures.items()}
    names = contract.silver_names
    raw = [i for i in contract.identifiers if i.form == "raw"]
    hashes = [h for c in names for h in contract.hash_columns(c).values()]
    key_hashes = [i.column for i in contract.identifiers if i.form != "raw"]
    required = [c for c in names if lineage[c].required]
    return SilverRules(
        source=contract.name,
        table=contract.silver_table,
        columns=names,
        natural_key=contract.dedup_key,
        required=tuple(required),
        timestamps=_ordered(
            names, lambda c: lineage[c].type == "timestamp" or roles.get(c, "").endswith("_at")
        ),
        emails=_ordered(names, lambda c: lineage[c].std == "email" or _is(raw, c, "email")),
        phones=_ordered(names, lambda c: lineage[c].std == "phone" or _is(raw, c, "phone")),
        key_hashes=_ordered(names, lambda c: c in key_hashes),
        hashes=_ordered(names, lambda c: c in hashes and c not in key_hashes),
        country_codes=_ordered(
            names, lambda c: lineage[c].std == "country" or roles.get(c) == "country_code"
        ),
        birth_dates=_ordered(names, lambda c: _is(raw, c, "birth_date")),
        in_sets=tuple(_in_sets(names, lineage, roles)),
        not_in_sets=tuple(_not_in_sets(names, lineage, roles)),
        ranges=tuple(_ranges(names, lineage, roles, thresholds)),
        present=tuple(contract.measures[r] for r in PRESENT_ROLES if r in contract.measures),
        ordered=tuple(
            (contract.measures[later], contract.measures[earlier])
            for later, earlier in ORDERED_ROLES
            if later in contract.measures and earlier in contract.measures
        ),
        null_drift=_ordered(names, lambda c: c not in required and lineage[c].std not in HASH_STDS),
        mean_drift=tuple(contract.measures[r] for r in MEAN_DRIFT_ROLES if r in contract.measures),
    )


def _ordered(names: tuple[str, ...], keep) -> tuple[str, ...]:
    return tuple(c for c in names if keep(c))


def _is(identifiers, column: str, type_: str) -> bool:
    return any(i.column == column and i.type == type_ for i in identifiers)


def _severity(role: str | None) -> str:
    return CRITICAL if role in CRITICAL_VALUE_ROLES else WARNING


def _in_sets(names, lineage, roles):
    for c in names:
        spec, line = lineage[c].field, lineage[c]
        if spec is None or not spec.allowed or spec.type != "string":
            continue
        recase = _CASE.get(line.case or "", lambda v: v)
        values = tuple(dict.fromkeys(recase(v) for v in spec.allowed))
        yield ColumnValues(c, values, _severity(roles.get(c)))


def _not_in_sets(names, lineage, roles):
    for c in names:
        spec = lineage[c].field
        if spec is not None and spec.ne is not None and spec.type in _NUMERIC:
            yield ColumnValues(c, (spec.ne,), _severity(roles.get(c)))


def _ranges(names, lineage, roles, thresholds: GateThresholds):
    limits = {
        "unit_price": (None, thresholds.max_unit_price),
        "line_amount": (-thresholds.max_abs_line_amount, thresholds.max_abs_line_amount),
    }
    for c in names:
        spec, role = lineage[c].field, roles.get(c)
        low, high = limits.get(role or "", (None, None))
        strict = False
        numeric = spec is not None and spec.type in _NUMERIC
        if numeric and spec.gt is not None:
            low, strict = spec.gt, True
        if numeric and spec.min is not None and (low is None or spec.min > low):
            low, strict = spec.min, False
        if numeric and spec.max is not None:
            high = spec.max if high is None else min(high, spec.max)
        if low is not None or high is not None:
            yield ColumnRange(c, _severity(role), min_value=low, max_value=high, strict_min=strict)
