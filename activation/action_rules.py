"""Next-best-action rules as code: `<CDP_ACTION_RULES_DIR>/*.yml`, one rule per file, checked before any SQL runs.

```yaml
id: winback_high_value             # [a-z0-9_]{3,60}, unique; the file is <id>.yml
description: High-value customers the churn model sees leaving get a win-back offer
channel: email                     # email | sms | ads
priority: 10                       # 1 .. 1000; lower wins (see below)
when:                              # activation.conditions, over activation.catalog's columns
  all:
    - churn_risk_band: {eq: high}
    - clv_decile: {gte: 6}
action:
  type: offer                      # offer | content | product_recommendation
  code: WINBACK20                  # [A-Za-z0-9_.-]{1,64}, what the channel tool keys on
  description: 20 % off the next order   # optional
start_date: 2026-06-01             # optional: the rule is evaluated from this date ...
end_date: 2026-12-31               # optional: ... up to and including this one
enabled: true                      # optional (default true)
```

Conflicts: a customer may match several rules of one channel. The winner per customer and
channel is the matching rule with the lowest `priority`; equal priorities go to the smaller
`id` (ids are unique, so the order is total and a re-run picks the same rule). Rules of
different channels never compete: each channel gets its own next best action.

Every error is one line naming the file and the key (`ActionRuleError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activation.audiences import CHANNELS, NAME, parse_date, read_yaml
from activation.catalog import Catalog
from activation.conditions import Compiled, RuleError, compile_rule

ACTION_TYPES = ("offer", "content", "product_recommendation")
ACTION_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REQUIRED = ("id", "description", "channel", "priority", "when", "action")
OPTIONAL: dict[str, Any] = {"start_date": None, "end_date": None, "enabled": True}
ACTION_KEYS = ("type", "code", "description")
MIN_PRIORITY, MAX_PRIORITY = 1, 1000
SUFFIXES = ("*.yml", "*.yaml")


class ActionRuleError(ValueError):
    """A rule file that cannot be used; one line naming the file and what is wrong."""


@dataclass(frozen=True)
class ActionRule:
    """One checked next-best-action rule."""

    id: str
    description: str
    channel: str
    priority: int
    when: Any
    action_type: str
    action_code: str
    action_description: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    enabled: bool
    path: Path = field(compare=False)

    @property
    def version(self) -> str:
        """A short hash of the definition: rows written record which definition made them."""
        body = {k: v for k, v in self.__dict__.items() if k != "path"}
        return hashlib.sha256(json.dumps(body, default=str, sort_keys=True).encode()).hexdigest()[:12]

    def is_active(self, day: dt.date) -> bool:
        """Whether the rule is evaluated on `day`."""
        started = self.start_date is None or self.start_date <= day
        return self.enabled and started and (self.end_date is None or day <= self.end_date)

    def compile(self, catalog: Catalog) -> Compiled:
        """`when` compiled against `catalog`; ActionRuleError naming the file and key when it does not fit."""
        try:
            return compile_rule(self.when, catalog)
        except RuleError as exc:
            message = str(exc)
            # conditions names places from its root `rule`; in a rule file that root is `when`.
            if message.startswith("rule"):
                message = "when" + message[len("rule") :]
            raise ActionRuleError(f"{self.path.name}: {message}") from None


def _action(raw: Any, where: str) -> tuple[str, str, str | None]:
    if not isinstance(raw, dict):
        raise ActionRuleError(f"{where}: expected a mapping with type and code")
    unknown = sorted(str(key) for key in set(raw) - set(ACTION_KEYS))
    if unknown:
        raise ActionRuleError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(ACTION_KEYS)}")
    kind = raw.get("type")
    if kind not in ACTION_TYPES:
        raise ActionRuleError(f"{where}.type: {kind!r} is not one of {', '.join(ACTION_TYPES)}")
    code = raw.get("code")
    if not isinstance(code, str) or not ACTION_CODE.match(code):
        raise ActionRuleError(f"{where}.code: {code!r} must match {ACTION_CODE.pattern}")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise ActionRuleError(f"{where}.description: expected text, got {description!r}")
    return kind, code, description


def parse_action_rule(raw: Any, path: Path) -> ActionRule:
    """Check one rule mapping read from `path`; ActionRuleError names the file and the key."""
    where = path.name
    if not isinstance(raw, dict):
        raise ActionRuleError(f"{where}: expected a mapping of rule keys")
    unknown = sorted(str(key) for key in set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ActionRuleError(
            f"{where}: unknown key {unknown[0]!r}; known: {', '.join((*REQUIRED, *OPTIONAL))}"
        )
    missing = [key for key in REQUIRED if raw.get(key) in (None, "")]
    if missing:
        raise ActionRuleError(f"{where}: missing required key {missing[0]!r}")
    values = OPTIONAL | raw
    rule_id = values["id"]
    if not isinstance(rule_id, str) or not NAME.match(rule_id):
        raise ActionRuleError(f"{where}.id: {rule_id!r} must match {NAME.pattern}")
    if path.stem != rule_id:
        raise ActionRuleError(f"{where}.id: {rule_id!r} must equal the file name ({path.stem})")
    if not isinstance(values["description"], str):
        raise ActionRuleError(f"{where}.description: expected text")
    if values["channel"] not in CHANNELS:
        raise ActionRuleError(f"{where}.channel: {values['channel']!r} is not one of {', '.join(CHANNELS)}")
    priority = values["priority"]
    if (
        not isinstance(priority, int)
        or isinstance(priority, bool)
        or not MIN_PRIORITY <= priority <= MAX_PRIORITY
    ):
        raise ActionRuleError(
            f"{where}.priority: expected an integer within {MIN_PRIORITY}..{MAX_PRIORITY}, got {priority!r}"
        )
    kind, code, action_description = _action(values["action"], f"{where}.action")
    if not isinstance(values["enabled"], bool):
        raise ActionRuleError(f"{where}.enabled: expected true or false")
    start = (
        None
        if values["start_date"] is None
        else parse_date(values["start_date"], f"{where}.start_date", ActionRuleError)
    )
    end = (
        None
        if values["end_date"] is None
        else parse_date(values["end_date"], f"{where}.end_date", ActionRuleError)
    )
    if start is not None and end is not None and end < start:
        raise ActionRuleError(f"{where}.end_date: {end} is before start_date {start}")
    return ActionRule(
        rule_id, values["description"], values["channel"], priority, values["when"], kind, code,
        action_description, start, end, values["enabled"], path,
    )  # fmt: skip


def check_unique_ids(rules: list[ActionRule]) -> None:
    """ActionRuleError naming the second file when two rules share an id (e.g. `a.yml` and `a.yaml`)."""
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.id in seen:
            raise ActionRuleError(
                f"{rule.path.name}.id: duplicate id {rule.id!r} (also in {seen[rule.id].name})"
            )
        seen[rule.id] = rule.path


def load_action_rules(directory: Path) -> list[ActionRule]:
    """Every `*.yml` / `*.yaml` rule in `directory`, sorted by id; ActionRuleError on the first bad file."""
    if not directory.is_dir():
        raise ActionRuleError(f"CDP_ACTION_RULES_DIR {directory} is not a directory")
    paths = sorted(path for pattern in SUFFIXES for path in directory.glob(pattern))
    rules = [parse_action_rule(read_yaml(path, ActionRuleError), path) for path in paths]
    check_unique_ids(rules)
    return sorted(rules, key=lambda rule: rule.id)


def check_action_rules(rules: list[ActionRule], catalog: Catalog) -> dict[str, Compiled]:
    """Compile every rule's `when` against `catalog` (id -> compiled); the first error is raised."""
    check_unique_ids(rules)
    return {rule.id: rule.compile(catalog) for rule in rules}
