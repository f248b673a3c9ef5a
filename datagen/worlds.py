"""Worlds: named settings for who the generated population is and how it behaves.

A world sets the archetype mix, how much of the CRM persons' buying happens online, how
anonymous the web traffic is, how widely persons scatter around their archetype, and any
messiness rates. The `demo` world changes nothing: `generate(world=WORLDS["demo"])`
writes the same bytes as `generate()`. `load_world` takes a preset name from `WORLDS` or
a YAML file with the keys of `World` (README, "Worlds").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from datagen import profiles as pf
from datagen.profiles import MessRates


def _number(key: str, value: Any) -> float:
    # bool is an int to Python, but `noise: yes` in a YAML file is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"world key {key} must be a number, got {value!r}")
    return float(value)


def _normalised_mix(mix: Any) -> dict[str, float]:
    """Validate an archetype -> share mapping and scale the shares to sum to 1."""
    if not isinstance(mix, Mapping):
        raise ValueError(f"world key archetype_mix must map archetype names to shares, got {mix!r}")
    unknown = sorted(str(name) for name in mix if name not in pf.ARCHETYPES)
    if unknown:
        raise ValueError(
            f"world key archetype_mix: unknown archetype(s) {', '.join(unknown)};"
            f" known: {', '.join(pf.ARCHETYPES)}"
        )
    if not 2 <= len(mix) <= len(pf.ARCHETYPES):
        raise ValueError(
            f"world key archetype_mix must name 2 to {len(pf.ARCHETYPES)} archetypes, got {len(mix)}"
        )
    shares = {name: _number(f"archetype_mix.{name}", mix[name]) for name in pf.ARCHETYPES if name in mix}
    not_positive = [name for name, share in shares.items() if share <= 0]
    if not_positive:
        raise ValueError(f"world key archetype_mix: shares must be positive: {', '.join(not_positive)}")
    total = sum(shares.values())
    return {name: share / total for name, share in shares.items()}


@dataclass(frozen=True)
class World:
    """Generation settings beyond size, dates and seed; `None` and 1.0 keep the demo's behaviour.

    archetype_mix: archetype name -> share (2 to 7 archetypes, positive; normalised here).
    online_share: a multiplier of each archetype's share of CRM persons' orders placed
        online (profiles.WEB_SHARE), clipped to 1; French customers still only buy online.
    anonymous_share: the share of CRM persons who never log in on the web (overrides the
        anonymous_only rate), and also round(share x customers) extra anonymous visitors
        who only browse (datagen/visitors.py).
    noise: the spread of the per-person order and web rate multipliers around their
        mean 1 (standard deviation times `noise`).
    rates: messiness rate overrides (profiles.MessRates names).
    dropout: a multiplier of each archetype's daily dropout hazard (profiles.DROPOUT_RATE);
        0 = nobody stops buying but the lapsing persons, who keep their planted stop.
    """

    name: str
    archetype_mix: dict[str, float] | None = None
    online_share: float | None = None
    anonymous_share: float | None = None
    noise: float = 1.0
    rates: dict[str, float] = field(default_factory=dict)
    dropout: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"world key name must be a non-empty string, got {self.name!r}")
        if self.archetype_mix is not None:
            object.__setattr__(self, "archetype_mix", _normalised_mix(self.archetype_mix))
        if self.online_share is not None:
            self._set_number("online_share", 0.0, math.inf, "0 or more")
        if self.anonymous_share is not None:
            self._set_number("anonymous_share", 0.0, 1.0, "within 0..1")
        self._set_number("noise", math.ulp(0.0), math.inf, "above 0")
        self._set_number("dropout", 0.0, math.inf, "0 or more")
        object.__setattr__(self, "rates", self._checked_rates(self.rates))

    def _set_number(self, key: str, low: float, high: float, expected: str) -> None:
        value = _number(key, getattr(self, key))
        if not low <= value <= high:
            raise ValueError(f"world key {key} must be {expected}, got {getattr(self, key)!r}")
        object.__setattr__(self, key, value)

    def _checked_rates(self, rates: Any) -> dict[str, float]:
        if rates is None:
            return {}
        if not isinstance(rates, Mapping):
            raise ValueError(f"world key rates must map rate names to values, got {rates!r}")
        try:
            MessRates().with_overrides(**{str(k): v for k, v in rates.items()})
        except ValueError as exc:
            raise ValueError(f"world key rates: {exc}") from None
        if self.anonymous_share is not None and "anonymous_only" in rates:
            raise ValueError("world keys anonymous_share and rates.anonymous_only both set; give one")
        return dict(rates)

    @property
    def is_demo(self) -> bool:
        """True when the world changes nothing (its output is the demo's, byte for byte)."""
        default = World("demo")
        return all(
            getattr(self, f.name) == getattr(default, f.name) for f in fields(self) if f.name != "name"
        )

    def mix(self) -> np.ndarray:
        """Probability of each archetype, in profiles.ARCHETYPES order."""
        if self.archetype_mix is None:
            return pf.ARCHETYPE_MIX
        return np.array([self.archetype_mix.get(name, 0.0) for name in pf.ARCHETYPES])

    def web_share(self) -> np.ndarray:
        """Share of a CRM person's orders placed online, per archetype."""
        if self.online_share is None:
            return pf.WEB_SHARE
        return np.clip(pf.WEB_SHARE * self.online_share, 0.0, 1.0)

    def dropout_rate(self) -> np.ndarray:
        """Daily dropout hazard per archetype."""
        return pf.DROPOUT_RATE * self.dropout

    def mess_rates(self, base: MessRates) -> MessRates:
        """`base` with the world's rate overrides and anonymous share applied."""
        rates = base.with_overrides(**self.rates)
        if self.anonymous_share is not None:
            rates = rates.with_overrides(anonymous_only=self.anonymous_share)
        return rates

    def visitors(self, customers: int) -> int:
        """How many anonymous visitors join `customers` customers."""
        return 0 if self.anonymous_share is None else int(round(self.anonymous_share * customers))

    def with_rates(self, overrides: Mapping[str, float]) -> World:
        """A copy whose rate overrides also hold `overrides` (which win)."""
        return replace(self, rates={**self.rates, **overrides}) if overrides else self

    def as_dict(self) -> dict[str, Any]:
        """The settings, as recorded in planted.json."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


WORLD_KEYS: tuple[str, ...] = tuple(f.name for f in fields(World))
_EVEN = dict.fromkeys(pf.ARCHETYPES, 1.0)

#: Named presets (`--world NAME`).
WORLDS: dict[str, World] = {
    w.name: w
    for w in (
        World("demo"),
        World("two_archetypes", archetype_mix={"champion": 0.5, "window_shopper": 0.5}),
        World("seven_archetypes", archetype_mix=_EVEN),
        World("heavy_anonymous", anonymous_share=0.5),
        World("store_first", online_share=0.25),
        World("noisy", noise=1.6),
    )
}


def load_world(name_or_path: str | Path) -> World:
    """A preset by name, or a world read from a YAML file with `WORLD_KEYS` (name defaults to the stem).

    Raises ValueError with a one-line message naming the bad name, key or value.
    """
    text = str(name_or_path)
    if text in WORLDS:
        return WORLDS[text]
    path = Path(text)
    if not path.is_file():
        raise ValueError(f"unknown world {text!r}: give a preset ({', '.join(WORLDS)}) or a YAML file")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"world file {path}: not valid YAML ({reason})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"world file {path}: expected a mapping with keys {', '.join(WORLD_KEYS)}")
    unknown = sorted(str(k) for k in doc if k not in WORLD_KEYS)
    if unknown:
        raise ValueError(
            f"world file {path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(WORLD_KEYS)}"
        )
    try:
        return World(**{"name": path.stem, **doc})
    except ValueError as exc:
        raise ValueError(f"world file {path}: {exc}") from None
