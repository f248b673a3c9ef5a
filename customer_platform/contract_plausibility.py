"""Business plausibility in a contract: range and sign rules per field, free text, outlier flags.

- field rules `min` / `max` (inclusive bounds of a number) and `negative_only_when:
  {<field>: [values]}` (a negative number only on a return or cancellation): a row breaking
  one goes to quarantine with its reason;
- `free_text: [silver columns]`: text counted when it looks like a formula or markup (names,
  streets and cities among the identifiers always are);
- `outliers: {columns, factor, quantile, history_days, min_history_rows}`: amounts far beyond
  the source's history are counted in the manifest, never dropped (default: the entity's
  amount measure; `outliers: false` switches it off).
"""

from __future__ import annotations

from typing import Any

from customer_platform.source_contract import ContractError, OutlierRule, SourceContract

NUMERIC_TYPES = ("int", "long", "double")
#: Identifier types holding free text (what a person typed, not a code or a key).
FREE_TEXT_IDENTIFIERS = ("first_name", "last_name", "city", "street_address")
#: The measure that is an entity's money amount: outliers are looked for there by default.
AMOUNT_MEASURES = {"order": "net_amount", "order_line": "line_amount", "payment": "amount"}
_OUTLIER_KEYS = {"columns", "factor", "quantile", "history_days", "min_history_rows"}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plausible_field(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """A field's `min`, `max` and `negative_only_when`, checked and in FieldSpec form."""
    rules = {key: raw[key] for key in ("min", "max", "negative_only_when") if key in raw}
    if rules and raw.get("type", "string") not in NUMERIC_TYPES:
        raise ContractError(f"{where}: {', '.join(rules)} only apply to int, long or double fields")
    for key in ("min", "max"):
        if key in rules and not _number(rules[key]):
            raise ContractError(f"{where}: {key} must be a number, got {rules[key]!r}")
    if "min" in rules and "max" in rules and rules["min"] > rules["max"]:
        raise ContractError(f"{where}: min {rules['min']} is above max {rules['max']}")
    condition = rules.get("negative_only_when")
    if condition is not None:
        values = next(iter(condition.values()), None) if isinstance(condition, dict) else None
        if len(condition) != 1 or not isinstance(values, list) or not values:
            raise ContractError(
                f"{where}: negative_only_when must map one field to a list of values, "
                f"e.g. {{order_status: [cancelled, returned]}}; got {condition!r}"
            )
        ((other, _),) = condition.items()
        rules["negative_only_when"] = (str(other), tuple(str(v) for v in values))
    return rules


def plausibility_options(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The contract's `free_text` and `outliers` keys, in SourceContract form."""
    free_text = data.get("free_text") or []
    if not isinstance(free_text, list) or not all(isinstance(c, str) for c in free_text):
        raise ContractError(f"{where}: free_text must be a list of silver columns, got {free_text!r}")
    block = data.get("outliers")
    if block is None:
        return {"free_text": tuple(free_text), "outliers": None}
    if block is False:
        return {"free_text": tuple(free_text), "outliers": OutlierRule(columns=())}
    if (
        not isinstance(block, dict)
        or set(block) - _OUTLIER_KEYS
        or not isinstance(block.get("columns"), list)
    ):
        raise ContractError(
            f"{where}: outliers must be false or a mapping with columns (a list) and optionally "
            f"factor, quantile, history_days, min_history_rows; got {block!r}"
        )
    default = OutlierRule(columns=())
    values: dict[str, Any] = {"columns": tuple(str(c) for c in block["columns"])}
    limits = {
        "factor": (1, None),
        "quantile": (0, 1),
        "history_days": (1, None),
        "min_history_rows": (1, None),
    }
    for key, (low, high) in limits.items():
        value = block.get(key, getattr(default, key))
        whole = key in ("history_days", "min_history_rows")
        if not _number(value) or value < low or (high is not None and value >= high) or (whole and value % 1):
            span = f"within {low}..{high} (exclusive)" if high else f"at least {low}"
            raise ContractError(f"{where}: outliers.{key} must be a {'whole ' if whole else ''}number {span}")
        values[key] = int(value) if whole else float(value)
    return {"free_text": tuple(free_text), "outliers": OutlierRule(**values)}


def free_text_columns(contract: SourceContract) -> tuple[str, ...]:
    """Silver columns whose text is checked for formulas and markup, in silver order."""
    named = set(contract.free_text) | {
        i.column for i in contract.identifiers if i.type in FREE_TEXT_IDENTIFIERS and i.form == "raw"
    }
    return tuple(c for c in contract.silver_names if c in named)


def outlier_rule(contract: SourceContract) -> OutlierRule:
    """The contract's outlier rule, else its entity's amount measure with the default thresholds."""
    if contract.outliers is not None:
        return contract.outliers
    column = contract.measures.get(AMOUNT_MEASURES.get(contract.entity, ""))
    return OutlierRule(columns=(column,) if column else ())


def plausibility_problems(contract: SourceContract, where: str) -> list[str]:
    """Columns and fields the plausibility keys name that the contract does not have."""
    problems = []
    silver = set(contract.silver_names)
    named = [("free_text", c) for c in contract.free_text]
    named += [("outliers.columns", c) for c in (contract.outliers.columns if contract.outliers else ())]
    for key, column in named:
        if column not in silver:
            problems.append(f"{where}: {key}: {column!r} is not a silver column")
    fields = {f.name: f for f in contract.fields}
    for spec in contract.fields:
        if spec.negative_only_when is None:
            continue
        other, values = spec.negative_only_when
        if other not in fields:
            problems.append(f"{where}: field {spec.name}: negative_only_when names unknown field {other!r}")
            continue
        known = {v.lower() for v in fields[other].allowed}
        unknown = [v for v in values if known and v.lower() not in known]
        if unknown:
            problems.append(
                f"{where}: field {spec.name}: negative_only_when values {unknown} are not allowed "
                f"values of {other} ({', '.join(fields[other].allowed)})"
            )
    return problems
