"""The volume rule: is a day's row count plausible next to the same feed's previous days?

One rule for every stage that asks: the silver gate checks a silver partition's rows with it
(`expectations`), ingestion checks a drop's rows read against the earlier manifests
(`spark_jobs.anomalies`). The defaults below are the gate's thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class VolumeRule:
    """How many previous days make a baseline, and how far from its mean a day may fall."""

    history_days: int = 7
    min_history_days: int = 3
    min_ratio: float = 0.5
    max_ratio: float = 2.0
    #: Small feeds are noisy: the band is at least this many Poisson sigmas wide.
    noise_sigmas: float = 4.0


VOLUME_RULE = VolumeRule()


def volume_bounds(
    mean_rows: float,
    min_ratio: float = VOLUME_RULE.min_ratio,
    max_ratio: float = VOLUME_RULE.max_ratio,
    noise_sigmas: float = VOLUME_RULE.noise_sigmas,
) -> tuple[int, int]:
    """Allowed row count for a day: the ratio band, widened by Poisson noise on small feeds.

    A feed of ~10 rows a day legitimately doubles from one day to the next; the band is
    never narrower than `noise_sigmas` standard deviations (sqrt of the mean).
    """
    noise = noise_sigmas * math.sqrt(mean_rows)
    low = min(mean_rows * min_ratio, mean_rows - noise)
    high = max(mean_rows * max_ratio, mean_rows + noise)
    return max(0, math.ceil(low)), math.floor(high)


def without_initial_load(
    rows_by_day: Mapping[str, int], initial_load: str | None, outlier_ratio: float = VOLUME_RULE.max_ratio
) -> tuple[dict[str, int], str | None]:
    """The days of a baseline without the feed's initial load, and the day left out (or None).

    The first-ever day is left out when it holds more than `outlier_ratio` x the median of the
    other days: all CRM contacts or a year of orders on day one would dwarf the daily increments.
    """
    rows = {str(day): n for day, n in rows_by_day.items()}
    first = None if initial_load is None else rows.get(str(initial_load))
    others = [n for day, n in rows.items() if day != str(initial_load)]
    if first is not None and others and first > outlier_ratio * median(others):
        return {day: n for day, n in rows.items() if day != str(initial_load)}, str(initial_load)
    return rows, None
