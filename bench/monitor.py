"""Wall time and peak memory of the whole process tree, stage by stage.

The Spark JVM, dbt's threads and the baseline subprocesses are children of this process,
so the resident set of a stage is the sum over the process and every descendant,
sampled by a background thread (psutil) while the stage runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

MB = 1024 * 1024


def tree_rss_bytes(root: psutil.Process | None = None) -> int:
    """Resident set size summed over `root` (this process by default) and its descendants."""
    root = root or psutil.Process()
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            # A child may exit between listing and sampling.
            continue
    return total


class RssSampler:
    """Background sampler of the process tree's RSS; `peak_since(mark)` gives a stage's peak."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._root = psutil.Process()
        self._lock = threading.Lock()
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        """Start sampling (idempotent per instance)."""
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        """Take one sample now; returns it."""
        current = tree_rss_bytes(self._root)
        with self._lock:
            self._peak = max(self._peak, current)
        return current

    def reset_peak(self) -> None:
        """Start a new stage window: the peak becomes the current RSS."""
        current = tree_rss_bytes(self._root)
        with self._lock:
            self._peak = current

    @property
    def peak(self) -> int:
        """Highest RSS seen since the last `reset_peak`."""
        with self._lock:
            return self._peak


@dataclass
class Stage:
    """One measured stage: phase (generation, initial, nightly, baseline), wall time, memory, rows."""

    name: str
    phase: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    rows_in: int | None = None
    rows_out: int | None = None
    status: str = "ok"
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float | None:
        """Input rows per second (output rows when the stage has no input)."""
        rows = self.rows_in if self.rows_in is not None else self.rows_out
        if rows is None or self.seconds <= 0:
            return None
        return rows / self.seconds

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly record, with rows/s computed."""
        record = asdict(self)
        record["rows_per_s"] = self.rows_per_s
        return record


class StageRecorder:
    """Collects `Stage` records; `measure()` times a block and records its tree peak RSS."""

    def __init__(self, sampler: RssSampler, on_record: Callable[[], None] | None = None) -> None:
        self.sampler = sampler
        self.stages: list[Stage] = []
        # Called after every recorded stage (the runner rewrites its report: a killed run keeps its figures).
        self.on_record = on_record

    def _recorded(self) -> None:
        if self.on_record is not None:
            self.on_record()

    @contextmanager
    def measure(self, name: str, phase: str) -> Iterator[Stage]:
        """Time the block as stage `name`; the block fills rows and detail on the yielded Stage.

        An exception marks the stage failed (with the message) and propagates.
        """
        stage = Stage(name=name, phase=phase)
        self.sampler.reset_peak()
        started = time.perf_counter()
        try:
            yield stage
        except BaseException as exc:
            stage.status = "failed"
            stage.note = f"{type(exc).__name__}: {str(exc)[:300]}"
            raise
        finally:
            stage.seconds = round(time.perf_counter() - started, 3)
            self.sampler.sample()
            stage.peak_rss_mb = round(self.sampler.peak / MB, 1)
            self.stages.append(stage)
            self._recorded()

    def add(self, stage: Stage) -> Stage:
        """Record a stage measured elsewhere (e.g. a dbt model's time from run_results.json)."""
        self.stages.append(stage)
        self._recorded()
        return stage
