"""Rules over the audience catalog: parsed from YAML, checked, compiled to SQL with bound values.

A rule is a mapping with one key:
- `all: [rule, ...]`, `any: [rule, ...]`, `not: rule`;
- `<column>: {<op>: <value>, ...}` (several operators on one column must all hold), where op is
  `eq`, `ne`, `in`, `not_in`, `gt`, `gte`, `lt`, `lte`, `between` (two values, inclusive) or
  `is_null` (true / false).

Column names must be in the catalog (`activation.catalog`) and values must fit the column's
type (`text`, `number`, `boolean`, `date`); `gt`/`lt`/`between` only on numbers and dates.
The SQL names come from the catalog and the values are `?` parameters, so a rule cannot
inject anything. Errors are `RuleError`s naming the place in the rule (`rule.all[1].clv_decile.gte`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from activation.catalog import Catalog

COMBINATORS = ("all", "any", "not")
_COMPARISONS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
OPERATORS: tuple[str, ...] = (*_COMPARISONS, "in", "not_in", "between", "is_null")
_ORDERED = ("number", "date")
MAX_DEPTH = 8
MAX_LIST = 1000


class RuleError(ValueError):
    """A rule that cannot be used; the message names where and why."""


@dataclass(frozen=True)
class Compiled:
    """A rule as SQL text over the catalog's base (alias `base`) and its bound values."""

    sql: str
    params: tuple[Any, ...]
    columns: tuple[str, ...]


def _scalar(value: Any, kind: str, where: str) -> Any:
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date":
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    raise RuleError(f"{where}: {value!r} is not a {kind} value")


def _leaf(column: str, ops: Any, catalog: Catalog, where: str) -> tuple[str, list[Any]]:
    if column not in catalog.columns:
        raise RuleError(f"{where}: {catalog.describe(column)}")
    kind = catalog.columns[column].type
    if not isinstance(ops, dict) or not ops:
        raise RuleError(f"{where}: expected a mapping of operators, e.g. {{eq: value}}; got {ops!r}")
    name = f'base."{column}"'
    parts, params = [], []
    for op, value in ops.items():
        at = f"{where}.{op}"
        if op not in OPERATORS:
            raise RuleError(f"{at}: unknown operator {op!r}; known: {', '.join(OPERATORS)}")
        if op in ("gt", "gte", "lt", "lte", "between") and kind not in _ORDERED:
            raise RuleError(f"{at}: {op} needs a number or date column; {column} is {kind}")
        if op in _COMPARISONS:
            parts.append(f"{name} {_COMPARISONS[op]} ?")
            params.append(_scalar(value, kind, at))
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > MAX_LIST:
                raise RuleError(f"{at}: expected a list of 1 to {MAX_LIST} values")
            values = [_scalar(v, kind, f"{at}[{i}]") for i, v in enumerate(value)]
            negate = "not " if op == "not_in" else ""
            parts.append(f"{name} {negate}in ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise RuleError(f"{at}: expected [low, high]")
            parts.append(f"{name} between ? and ?")
            params.extend(_scalar(v, kind, f"{at}[{i}]") for i, v in enumerate(value))
        else:  # is_null
            if not isinstance(value, bool):
                raise RuleError(f"{at}: expected true or false")
            parts.append(f"{name} is {'' if value else 'not '}null")
    return "(" + " and ".join(parts) + ")", params


def _node(rule: Any, catalog: Catalog, where: str, depth: int, used: list[str]) -> tuple[str, list[Any]]:
    if depth > MAX_DEPTH:
        raise RuleError(f"{where}: nested more than {MAX_DEPTH} levels")
    if not isinstance(rule, dict) or len(rule) != 1:
        raise RuleError(f"{where}: expected a mapping with one key (all, any, not or a column); got {rule!r}")
    ((key, body),) = rule.items()
    key = str(key)
    here = f"{where}.{key}" if where else key
    if key in ("all", "any"):
        if not isinstance(body, list) or not body:
            raise RuleError(f"{here}: expected a non-empty list of rules")
        compiled = [_node(child, catalog, f"{here}[{i}]", depth + 1, used) for i, child in enumerate(body)]
        joiner = " and " if key == "all" else " or "
        return "(" + joiner.join(sql for sql, _ in compiled) + ")", [p for _, ps in compiled for p in ps]
    if key == "not":
        sql, params = _node(body, catalog, here, depth + 1, used)
        return f"(not {sql})", params
    used.append(key)
    return _leaf(key, body, catalog, here)


def compile_rule(rule: Any, catalog: Catalog) -> Compiled:
    """Check `rule` against `catalog` and compile it; raises RuleError naming the place.

    SQL's three-valued logic holds: a comparison with a null column is unknown, and unknown
    (also under `not`) is not a match, so a customer without predictions matches neither
    `churn_probability: {gt: 0.7}` nor `not: {churn_probability: {gt: 0.7}}`.
    """
    used: list[str] = []
    sql, params = _node(rule, catalog, "rule", 0, used)
    return Compiled(f"coalesce({sql}, false)", tuple(params), tuple(dict.fromkeys(used)))


def referenced_columns(rule: Any) -> set[str]:
    """The column names a rule mentions, without checking them (to explain a skip before compiling)."""
    if isinstance(rule, dict):
        found: set[str] = set()
        for key, body in rule.items():
            if key in ("all", "any") and isinstance(body, list):
                found |= set().union(*(referenced_columns(child) for child in body)) if body else set()
            elif key == "not":
                found |= referenced_columns(body)
            else:
                found.add(str(key))
        return found
    return set()
