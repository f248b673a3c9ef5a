"""Contract options beyond one file's columns: quarantine and retention limits, related sources, entity rules."""

from __future__ import annotations

from typing import Any

from customer_platform.source_contract import ContractError, SourceContract
from customer_platform.vocabulary import CAMPAIGN_GROUPS, RELATIONS


def max_rate(data: dict[str, Any], where: str) -> float | None:
    """`quarantine: {max_rate: 0.3}`: this source's own limit on the share of quarantined rows."""
    block = data.get("quarantine")
    if block is None:
        return None
    if not isinstance(block, dict) or set(block) - {"max_rate"}:
        raise ContractError(f"{where}: quarantine must be a mapping with the key max_rate, got {block!r}")
    rate = block.get("max_rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise ContractError(f"{where}: quarantine.max_rate must be a number within 0..1, got {rate!r}")
    return float(rate)


def retention_days(data: dict[str, Any], where: str) -> int | None:
    """`retention: {days: 30}`: landing, bronze and quarantine partitions older than this are deleted."""
    block = data.get("retention")
    if block is None:
        return None
    if not isinstance(block, dict) or set(block) != {"days"}:
        raise ContractError(f"{where}: retention must be a mapping with the key days, got {block!r}")
    days = block["days"]
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ContractError(f"{where}: retention.days must be a non-negative integer (days), got {days!r}")
    return days


def limits(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The source's own limits: `quarantine` (max_quarantine_rate) and `retention` (retention_days)."""
    found: dict[str, Any] = {}
    problems: list[str] = []
    for key, parse in (("max_quarantine_rate", max_rate), ("retention_days", retention_days)):
        try:
            found[key] = parse(data, where)
        except ContractError as exc:
            problems += exc.problems
    if problems:
        raise ContractError(problems)
    return found


def relations(data: dict[str, Any], entity: str, where: str) -> dict[str, str]:
    """`relations: {payments: <payment source>, lines: <order_line source>}` (checked across contracts later)."""
    relations = data.get("relations") or {}
    if not isinstance(relations, dict):
        raise ContractError(f"{where}: relations must be a mapping of role -> source name, got {relations!r}")
    allowed = RELATIONS.get(entity, {})
    for role, name in relations.items():
        if role not in allowed:
            choices = ", ".join(allowed) or "none"
            raise ContractError(
                f"{where}: relations.{role} is not a relation of entity {entity!r}; allowed: {choices}"
            )
        if not isinstance(name, str) or not name:
            raise ContractError(f"{where}: relations.{role} must name a source, got {name!r}")
    return {str(k): str(v) for k, v in relations.items()}


def check_relations(contracts: dict[str, SourceContract]) -> None:
    """Related sources exist with the right entity, and every line source has a time."""
    line_sources = set()
    for contract in contracts.values():
        for role, name in contract.relations.items():
            related = contracts.get(name)
            entity = RELATIONS[contract.entity][role]
            if related is None or related.entity != entity:
                found = f"a {related.entity}" if related else "no contract"
                raise ContractError(
                    f"{contract.path}: relations.{role} names {name!r}, which must be a source of entity "
                    f"{entity!r}; found {found}"
                )
            if role == "lines":
                line_sources.add(name)
    for contract in contracts.values():
        if (
            contract.entity == "order_line"
            and "ordered_at" not in contract.measures
            and contract.name not in line_sources
        ):
            raise ContractError(
                f"{contract.path}: entity 'order_line' needs measures ordered_at, unless an order source "
                "names it in relations.lines"
            )


def campaign_group_problems(contract: SourceContract, where: str) -> list[str]:
    """A `campaign_member`'s group field allows only treatment / holdout: other values go to quarantine."""
    if contract.entity != "campaign_member" or "group" not in contract.measures:
        return []
    column = next((c for c in contract.silver_columns if c.name == contract.measures["group"]), None)
    name = column.args.get("of", column.name) if column else None
    spec = next((f for f in contract.fields if f.name == name), None)
    allowed = {str(v).lower() for v in spec.allowed} if spec else set()
    if allowed and allowed <= set(CAMPAIGN_GROUPS):
        return []
    return [
        f"{where}: the field behind measures.group must declare allowed: [{', '.join(CAMPAIGN_GROUPS)}] "
        "(any other group is quarantined)"
    ]
