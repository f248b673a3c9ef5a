"""Audiences as code: `<CDP_AUDIENCES_DIR>/*.yml`, one audience per file, checked before any SQL runs.

```yaml
name: win_back_high_value          # [a-z0-9_]{3,60}, unique; the file is <name>.yml
description: High-value customers drifting away
owner: crm-team@example.com
channel: email                     # email | sms | ads
rule:                              # activation.conditions, over activation.catalog's columns
  all:
    - churn_risk_band: {in: [high, medium]}
    - clv_decile: {gte: 7}
destinations:
  - {type: file}                   # CSV + Parquet + manifest per date under CDP_EXPORTS_DIR
  - {type: webhook, name: crm, url_env: CDP_WEBHOOK_CRM_URL, batch_size: 500}
holdout_share: 0.1                 # 0 .. 0.5, never exported, measured against
start_date: 2026-06-01
end_date: 2026-12-31               # optional
attribution_days: 14               # an order within this many days after entering converts
```

Every error is one line naming the file and the key (`AudienceError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from activation.catalog import Catalog
from activation.conditions import Compiled, RuleError, compile_rule

CHANNELS = ("email", "sms", "ads")
DESTINATION_TYPES = ("file", "webhook")
NAME = re.compile(r"^[a-z0-9_]{3,60}$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,80}$")
REQUIRED = ("name", "description", "owner", "channel", "rule", "destinations", "start_date")
OPTIONAL = {"holdout_share": 0.1, "end_date": None, "attribution_days": 14, "enabled": True}
MAX_HOLDOUT = 0.5


class AudienceError(ValueError):
    """An audience file that cannot be used; one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Destination:
    """Where an audience goes: `file`, or a `webhook` whose URL is in an environment variable or the file."""

    type: str
    name: str
    url: str = ""
    url_env: str = ""
    batch_size: int = 500


@dataclass(frozen=True)
class Audience:
    """One checked audience definition."""

    name: str
    description: str
    owner: str
    channel: str
    rule: Any
    destinations: tuple[Destination, ...]
    start_date: dt.date
    end_date: dt.date | None
    holdout_share: float
    attribution_days: int
    enabled: bool
    path: Path = field(compare=False)

    @property
    def version(self) -> str:
        """A short hash of the definition: rows written record which definition made them."""
        body = {k: v for k, v in self.__dict__.items() if k != "path"}
        return hashlib.sha256(json.dumps(body, default=str, sort_keys=True).encode()).hexdigest()[:12]

    def is_active(self, day: dt.date) -> bool:
        """Whether the audience is materialised on `day`."""
        return self.enabled and self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def compile(self, catalog: Catalog) -> Compiled:
        """The rule compiled against `catalog`; AudienceError naming the file when it does not fit."""
        try:
            return compile_rule(self.rule, catalog)
        except RuleError as exc:
            raise AudienceError(f"{self.path.name}: {exc}") from None


def parse_date(value: Any, where: str, error: type[ValueError] = AudienceError) -> dt.date:
    """A date from a YAML value (a date or YYYY-MM-DD text); `error` names `where` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise error(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def read_yaml(path: Path, error: type[ValueError] = AudienceError) -> Any:
    """The parsed YAML of `path`; `error` names the file (and the line) when it is not valid YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise error(f"{path.name}: not valid YAML{line}") from None


def _destination(raw: Any, where: str) -> Destination:
    if not isinstance(raw, dict):
        raise AudienceError(f"{where}: expected a mapping with a type")
    kind = raw.get("type")
    if kind not in DESTINATION_TYPES:
        raise AudienceError(f"{where}.type: {kind!r} is not one of {', '.join(DESTINATION_TYPES)}")
    allowed = {"type", "name"} | ({"url", "url_env", "batch_size"} if kind == "webhook" else set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise AudienceError(f"{where}: unknown key {unknown[0]!r} for a {kind} destination")
    name = str(raw.get("name", kind))
    if not NAME.match(name) and name not in DESTINATION_TYPES:
        raise AudienceError(f"{where}.name: {name!r} must match {NAME.pattern}")
    if kind == "file":
        return Destination("file", name)
    url, url_env = str(raw.get("url", "")), str(raw.get("url_env", ""))
    if bool(url) == bool(url_env):
        raise AudienceError(f"{where}: a webhook needs exactly one of url or url_env")
    if url and not re.match(r"^https?://[^\s]+$", url):
        raise AudienceError(f"{where}.url: {url!r} is not an http(s) URL")
    if url_env and not ENV_NAME.match(url_env):
        raise AudienceError(f"{where}.url_env: {url_env!r} is not an environment variable name")
    batch = raw.get("batch_size", 500)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 10_000:
        raise AudienceError(f"{where}.batch_size: expected an integer within 1..10000, got {batch!r}")
    return Destination("webhook", name, url, url_env, batch)


def parse_audience(raw: Any, path: Path) -> Audience:
    """Check one audience mapping read from `path`; AudienceError names the file and the key."""
    where = path.name
    if not isinstance(raw, dict):
        raise AudienceError(f"{where}: expected a mapping of audience keys")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise AudienceError(
            f"{where}: unknown key {unknown[0]!r}; known: {', '.join((*REQUIRED, *OPTIONAL))}"
        )
    missing = [key for key in REQUIRED if raw.get(key) in (None, "")]
    if missing:
        raise AudienceError(f"{where}: missing required key {missing[0]!r}")
    values = OPTIONAL | raw
    name = str(values["name"])
    if not NAME.match(name):
        raise AudienceError(f"{where}.name: {name!r} must match {NAME.pattern}")
    if path.stem != name:
        raise AudienceError(f"{where}.name: {name!r} must equal the file name ({path.stem})")
    if values["channel"] not in CHANNELS:
        raise AudienceError(f"{where}.channel: {values['channel']!r} is not one of {', '.join(CHANNELS)}")
    share = values["holdout_share"]
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= MAX_HOLDOUT:
        raise AudienceError(
            f"{where}.holdout_share: expected a number within 0..{MAX_HOLDOUT}, got {share!r}"
        )
    days = values["attribution_days"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise AudienceError(f"{where}.attribution_days: expected an integer within 1..365, got {days!r}")
    if not isinstance(values["enabled"], bool):
        raise AudienceError(f"{where}.enabled: expected true or false")
    if not isinstance(values["destinations"], list) or not values["destinations"]:
        raise AudienceError(f"{where}.destinations: expected a non-empty list")
    destinations = tuple(
        _destination(d, f"{where}.destinations[{i}]") for i, d in enumerate(values["destinations"])
    )
    names = [d.name for d in destinations]
    if len(set(names)) != len(names):
        raise AudienceError(f"{where}.destinations: two destinations share a name; give each a unique name")
    start = parse_date(values["start_date"], f"{where}.start_date")
    end = None if values["end_date"] is None else parse_date(values["end_date"], f"{where}.end_date")
    if end is not None and end < start:
        raise AudienceError(f"{where}.end_date: {end} is before start_date {start}")
    return Audience(
        name, str(values["description"]), str(values["owner"]), values["channel"], values["rule"],
        destinations, start, end, float(share), days, values["enabled"], path,
    )  # fmt: skip


def load_audiences(directory: Path) -> list[Audience]:
    """Every `*.yml` audience in `directory`, sorted by name; AudienceError on the first bad file."""
    if not directory.is_dir():
        raise AudienceError(f"CDP_AUDIENCES_DIR {directory} is not a directory")
    audiences = []
    for path in sorted(directory.glob("*.yml")):
        audiences.append(parse_audience(read_yaml(path), path))
    return audiences


def check_audiences(audiences: list[Audience], catalog: Catalog) -> dict[str, Compiled]:
    """Compile every audience's rule against `catalog` (name -> compiled); the first error is raised."""
    return {audience.name: audience.compile(catalog) for audience in audiences}
