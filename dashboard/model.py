"""What a page is made of: sections holding charts, tables and notes, and the number formats.

A value the browser test compares with the warehouse is a `Cell` with a `metric` key; the
template writes it as `data-metric="<key>"` around the number's text, so a test (or a person)
finds every checked number by a stable hook instead of by layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and, for checked numbers, the metric key."""

    text: str
    metric: str | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A small table of aggregates (never customer rows)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart and the sentence that says what it shows."""

    title: str
    svg: str
    caption: str = ""
    wide: bool = False  # takes the page's full width (multi-panel charts)


@dataclass
class Section:
    """One part of the page; `missing` is the one-line note shown when its tables are not built."""

    key: str
    title: str
    missing: str | None = None
    notes: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def not_built(key: str, title: str, tables: str) -> Section:
    """The section shown when the tables it reads do not exist yet."""
    return Section(key, title, missing=f"Not built yet: {tables} does not exist in the warehouse.")


def missing(value: object) -> bool:
    """Whether a number is absent (SQL null or a NaN written by pandas)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value: int | None, metric: str | None = None) -> Cell:
    """An integer count with thousands separators."""
    return Cell("–" if missing(value) else f"{int(value):,}", metric, numeric=True)


def share(value: float | None, metric: str | None = None) -> Cell:
    """A share in 0..1 as a percentage with one decimal."""
    if missing(value):
        return Cell("–", metric, numeric=True)
    return Cell(f"{100 * value:.1f} %".replace("-0.0 %", "0.0 %"), metric, numeric=True)


def amount(value: float | None, metric: str | None = None, digits: int = 2) -> Cell:
    """A money amount or other decimal number."""
    return Cell("–" if missing(value) else f"{value:,.{digits}f}", metric, numeric=True)


def text(value: object, metric: str | None = None) -> Cell:
    """Plain text (names, statuses)."""
    return Cell("" if value is None else str(value), metric)
