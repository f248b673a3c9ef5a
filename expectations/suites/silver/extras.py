"""Optional extra expectations of one source, declared beside its contract.

Most of a silver suite is derived from the contract (`rules.py`). What a contract cannot say
(a plausibility limit, a business rule) goes into an optional file next to it:

    <CDP_CONTRACTS_DIR>/expectations/<source>.yml      (or .yaml; found from the contract's path)

    expectations:
      - expect: ExpectColumnValuesToBeBetween   # a class of great_expectations.expectations
        severity: warning                        # critical (stops the gate) | warning
        column: household_size                   # every other key is an argument of the class
        min_value: 1
        max_value: 20

Each entry is built with the GX 1.x fluent API (`gxe.<expect>(**arguments, meta=...)`, so GX
validates the arguments); there is no GX JSON to edit. Columns named by `column`,
`column_A`, `column_B` or `column_list` must be silver (or lineage) columns of the contract.
A broken file raises `ExtrasError` naming the file, the entry and the problem. The folder is
a sub-folder so the contract loader (which reads `*.yml` at the top) never sees these files;
a file for a source that is not active is simply not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import great_expectations.expectations as gxe
import yaml
from great_expectations.expectations.expectation import Expectation

from customer_platform.registry import SourceContract
from expectations.common import LINEAGE_COLUMNS, SEVERITIES, critical, warning

EXTRAS_FOLDER = "expectations"
SUFFIXES = (".yml", ".yaml")
COLUMN_ARGUMENTS = ("column", "column_A", "column_B")


class ExtrasError(ValueError):
    """An extra-expectations file is invalid; the message names the file, the entry and why."""


def extras_path(contract: SourceContract) -> Path | None:
    """The contract's extras file when it exists (None for contracts not read from a file)."""
    if contract.path is None:
        return None
    folder = contract.path.parent / EXTRAS_FOLDER
    found = [path for path in (folder / f"{contract.name}{suffix}" for suffix in SUFFIXES) if path.is_file()]
    if len(found) > 1:
        raise ExtrasError(f"{folder}: both {found[0].name} and {found[1].name} exist; keep one")
    return found[0] if found else None


def load_extras(contract: SourceContract) -> tuple[Path | None, list[Expectation]]:
    """The extras file of the contract (or None) and its expectations (empty without a file)."""
    path = extras_path(contract)
    if path is None:
        return None, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ExtrasError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from exc
    return path, parse_extras(data, contract, str(path))


def parse_extras(data: Any, contract: SourceContract, where: str) -> list[Expectation]:
    """Build the expectations of an extras mapping (`{"expectations": [...]}`)."""
    if (
        not isinstance(data, dict)
        or set(data) != {"expectations"}
        or not isinstance(data["expectations"], list)
    ):
        raise ExtrasError(f"{where}: expected a mapping with one key, 'expectations: [...]'")
    known = {*contract.silver_names, *LINEAGE_COLUMNS}
    return [_expectation(entry, known, where, n) for n, entry in enumerate(data["expectations"])]


def _expectation(entry: Any, known: set[str], declared_in: str, index: int) -> Expectation:
    where = f"{declared_in}: expectations[{index}]"
    if not isinstance(entry, dict):
        raise ExtrasError(f"{where}: each entry is a mapping with 'expect' and 'severity', got {entry!r}")
    arguments = dict(entry)
    name, severity = arguments.pop("expect", None), arguments.pop("severity", None)
    expectation_cls = getattr(gxe, str(name), None)
    if (
        not (isinstance(expectation_cls, type) and issubclass(expectation_cls, Expectation))
        or name == "Expectation"
    ):
        raise ExtrasError(
            f"{where}: expect {name!r} is not a Great Expectations class (e.g. ExpectColumnValuesToBeBetween)"
        )
    if severity not in SEVERITIES:
        raise ExtrasError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    named = [arguments[k] for k in COLUMN_ARGUMENTS if k in arguments]
    unknown = [str(c) for c in (*named, *(arguments.get("column_list") or [])) if c not in known]
    if unknown:
        listed = ", ".join(sorted(known))
        raise ExtrasError(f"{where}: {', '.join(unknown)} not a silver column; silver columns: {listed}")
    arguments["meta"] = {"check": "extra", "declared_in": declared_in, **(arguments.get("meta") or {})}
    build = critical if severity == "critical" else warning
    try:
        return build(expectation_cls, **arguments)
    except (TypeError, ValueError) as exc:
        first = str(exc).replace("\n", " ")[:300]
        raise ExtrasError(f"{where}: {name} rejected its arguments: {first}") from exc
