"""Vectorized timestamp rendering. Times are int64 seconds (or ms) since the Unix epoch, UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

DAY = 86_400


def epoch_seconds(day: date) -> int:
    """Seconds since the epoch of `day` at 00:00 UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _last_sunday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def london_offset_hours(secs: np.ndarray) -> np.ndarray:
    """1 where Europe/London is on summer time (BST) at these UTC instants, else 0.

    BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
    of October; computing it per year keeps this vectorized (zoneinfo is per value).
    """
    secs = np.asarray(secs, dtype=np.int64)
    if secs.size == 0:
        return np.zeros(0, dtype=np.int64)
    years = secs.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = int(years.min()), int(years.max())
    starts = np.array([epoch_seconds(_last_sunday(y, 3)) + 3600 for y in range(y0, y1 + 1)])
    ends = np.array([epoch_seconds(_last_sunday(y, 10)) + 3600 for y in range(y0, y1 + 1)])
    k = years - y0
    return ((secs >= starts[k]) & (secs < ends[k])).astype(np.int64)


def iso_naive(secs: np.ndarray) -> list[str]:
    """`YYYY-MM-DDTHH:MM:SS` for each instant, no offset."""
    return np.asarray(secs, dtype=np.int64).astype("datetime64[s]").astype(str).tolist()


def iso_dates(days: np.ndarray) -> list[str]:
    """`YYYY-MM-DD` for day numbers since the epoch."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(str).tolist()


def iso_mixed(secs: np.ndarray, with_offset: np.ndarray) -> list[str]:
    """Naive UTC where `with_offset` is False, else London local time with its offset.

    e.g. `2026-06-03T13:05:09` and `2026-06-03T14:05:09+01:00` are the same instant.
    """
    secs = np.asarray(secs, dtype=np.int64)
    offset = london_offset_hours(secs) * with_offset
    text = iso_naive(secs + offset * 3600)
    suffix = ("", "+00:00", "+01:00")
    codes = (with_offset.astype(np.int64) + offset).tolist()
    return [t + suffix[c] for t, c in zip(text, codes, strict=True)]


def iso_millis_z(millis: np.ndarray) -> list[str]:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) for milliseconds since the epoch."""
    text = np.asarray(millis, dtype=np.int64).astype("datetime64[ms]").astype(str).tolist()
    return [t + "Z" for t in text]
