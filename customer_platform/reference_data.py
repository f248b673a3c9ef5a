"""Small reference tables shipped with the jobs (countries, FX rates), read once per process."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Country:
    alpha2: str
    calling_code: str
    trunk_zero: bool  # national numbers are dialled with a leading 0 that E.164 drops
    nsn_length: int | None  # usual length of the national significant number


def country_key(name: str) -> str:
    """The lookup key of a country name or code: upper-case letters only."""
    return re.sub(r"[^A-Z]", "", name.upper())


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """Countries by ISO alpha-2 code."""
    with (REFERENCE_DIR / "countries.csv").open(encoding="utf-8") as handle:
        return {
            row["alpha2"]: Country(
                alpha2=row["alpha2"],
                calling_code=row["calling_code"],
                trunk_zero=row["trunk_zero"] == "1",
                nsn_length=int(row["nsn_length"]) if row["nsn_length"] else None,
            )
            for row in csv.DictReader(handle)
        }


@lru_cache(maxsize=1)
def country_aliases() -> dict[str, str]:
    """Every known spelling (as `country_key`) -> ISO alpha-2 code."""
    aliases: dict[str, str] = {}
    with (REFERENCE_DIR / "countries.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for name in [row["alpha2"], *row["names"].split("|")]:
                aliases.setdefault(country_key(name), row["alpha2"])
    return aliases


@lru_cache(maxsize=1)
def fx_rates_to_usd() -> dict[str, float]:
    """Value of one unit of each currency in USD (the file's pivot currency)."""
    with (REFERENCE_DIR / "fx_rates.csv").open(encoding="utf-8") as handle:
        return {row["currency"].upper(): float(row["rate_to_usd"]) for row in csv.DictReader(handle)}


def fx_rates_to(base_currency: str) -> dict[str, float]:
    """Multiplier from each currency to `base_currency`; ValueError if the base is unknown."""
    rates = fx_rates_to_usd()
    base = base_currency.upper()
    if base not in rates:
        raise ValueError(f"base currency {base!r} has no rate in {REFERENCE_DIR / 'fx_rates.csv'}")
    return {currency: rate / rates[base] for currency, rate in rates.items()}
