"""What every source generator shares during one generation run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from datagen.mess import Tally
from datagen.persons import Persons
from datagen.profiles import MessRates
from datagen.writers import SPECS, DropFile, IdentityWriter, PlantedLog

#: Independent random streams: adding or filtering one source never shifts another's draws.
STREAMS = (
    "persons",
    "catalog",
    "crm_customers",
    "web_orders",
    "pos_orders",
    "orders",
    "web_events",
    "email_engagement",
    "demographics",
    "malformed",
    "scheme_members",  # appended: the demo streams keep their indices
    "visitors",
    "future",  # _truth/future.csv, after the landing drops
    "campaigns",  # campaign audiences, their planted orders and the campaign_log drops
)
SPECS_ORDER = tuple(SPECS)


def stream_rng(seed: int, stream: str, *keys: int) -> np.random.Generator:
    """A generator for (stream, keys...) derived from the run seed, independent of call order."""
    return np.random.default_rng([seed, STREAMS.index(stream), *keys])


def epoch_day(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - date(1970, 1, 1)).days


@dataclass
class Context:
    """Run-wide state: the population, the output, the truth writers and the tally."""

    out_dir: Path
    persons: Persons
    start: date
    seed: int
    rates: MessRates
    tally: Tally
    planted: PlantedLog
    identities: IdentityWriter
    chunk: int
    rows: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def days(self) -> int:
        """Number of daily drops."""
        return self.persons.days

    @property
    def start_day(self) -> int:
        """The start date as days since the epoch."""
        return epoch_day(self.start)

    @property
    def base_secs(self) -> int:
        """The start date at 00:00 UTC, in seconds since the epoch."""
        return self.start_day * 86_400

    def day_label(self, d: int) -> str:
        """`YYYY-MM-DD` of day offset `d`."""
        return (self.start + timedelta(days=d)).isoformat()

    def rng(self, stream: str, *keys: int) -> np.random.Generator:
        """A generator for (stream, keys...) derived from the run seed."""
        return stream_rng(self.seed, stream, *keys)

    def open_drop(self, source: str, d: int, rate: float | None = None) -> DropFile:
        """Open `<source>/<day>/<file>` for day offset `d`, planting malformed lines at `rate`."""
        spec = SPECS[source]
        rate = self.rates.malformed_line if rate is None else rate
        rng = self.rng("malformed", SPECS_ORDER.index(source), d)
        return DropFile(self.out_dir, self.day_label(d), spec, self.planted, rng, rate)

    def close_drop(self, drop: DropFile, d: int) -> None:
        """Close a drop file and record its data line count for the report."""
        self.rows.setdefault(drop.spec.name, {})[self.day_label(d)] = drop.close()

    def chunks(self, idx: np.ndarray, size: int | None = None):
        """Split an index array into numbered chunks of at most `size` (default `self.chunk`)."""
        size = max(1, size or self.chunk)
        for lo in range(0, len(idx), size):
            yield lo // size, idx[lo : lo + size]
