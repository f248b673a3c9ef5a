"""Bounded memory by design: files are written in chunks, one day at a time.

Benchmark notes (this 2-core VM, `/usr/bin/time -v python -m datagen generate`, 30 days):
  5,000 persons      ~2-3 s wall, 1.2 s CPU, 80 MB peak RSS, 285k lines, 42 MB
  100,000 persons    20-40 s wall (disk-bound), 17 s CPU, 190 MB peak RSS, 5.7M lines, 0.8 GB
  1,000,000 persons  6 min 47 s wall, 171 s CPU, 530 MB peak RSS, 57M lines, 8 GB
"""

from __future__ import annotations

from datetime import date

from datagen import future, writers
from datagen.generator import generate
from datagen.orders import LINES_PER_SLICE_FACTOR


def test_rows_are_written_in_bounded_chunks_and_one_day_at_a_time(tmp_path, monkeypatch):
    batches: dict[str, list[int]] = {}
    open_now: set[str] = set()
    days_seen: list[str] = []
    real_init, real_rows, real_json, real_close = (
        writers.DropFile.__init__,
        writers.DropFile.write_rows,
        writers.DropFile.write_json_lines,
        writers.DropFile.close,
    )

    def init(self, root, day, spec, *args):
        assert not any(name.startswith(spec.name + "/") for name in open_now)
        open_now.add(f"{spec.name}/{day}")
        if not days_seen or days_seen[-1] != day:
            days_seen.append(day)
        real_init(self, root, day, spec, *args)

    def rows(self, columns, planted=()):
        batches.setdefault(self.spec.name, []).append(len(columns[0]))
        real_rows(self, columns, planted)

    def json_lines(self, lines, keys, ids):
        batches.setdefault(self.spec.name, []).append(len(lines))
        real_json(self, lines, keys, ids)

    def close(self):
        open_now.discard(self.rel.rsplit("/", 1)[0])
        return real_close(self)

    monkeypatch.setattr(writers.DropFile, "__init__", init)
    monkeypatch.setattr(writers.DropFile, "write_rows", rows)
    monkeypatch.setattr(writers.DropFile, "write_json_lines", json_lines)
    monkeypatch.setattr(writers.DropFile, "close", close)
    future_lines: list[int] = []
    real_draw_lines = future.draw_lines

    def draw_lines(*args):
        drawn = real_draw_lines(*args)
        future_lines.append(len(drawn[0]))
        return drawn

    monkeypatch.setattr(future, "draw_lines", draw_lines)

    chunk = 60
    report = generate(tmp_path, 1_000, date(2026, 6, 1), date(2026, 6, 3), seed=1, chunk=chunk)

    assert days_seen == ["2026-06-01", "2026-06-02", "2026-06-03"]  # never goes back to a day
    assert not open_now
    assert len(batches["web_orders"]) > 10  # the year of history came in slices
    assert report.total_rows("web_orders") > 20 * chunk
    for source in ("crm_customers", "demographics"):
        assert max(batches[source]) <= 1.3 * chunk, source
    # The future after the end date is simulated in chunks of about as many lines as a slice.
    assert len(future_lines) > 10
    assert sum(future_lines) / len(future_lines) <= 1.5 * chunk * LINES_PER_SLICE_FACTOR
    assert max(batches["email_engagement"]) <= 4 * chunk  # sent/open/click/unsubscribe per subscriber
    for source in ("web_orders", "pos_orders"):
        assert max(batches[source]) <= 6 * chunk, source
    assert max(batches["web_events"]) <= 40 * chunk  # `chunk` sessions of a few events each
