"""Daily drop files and ground-truth files, written chunk by chunk.

Fields are joined with commas without quoting: every generated value is free of
commas, double quotes and newlines (vocab guarantees it), so the output is exactly what
`csv.writer` with QUOTE_MINIMAL would write, several times faster.

Malformed lines are planted here, at the writer's rate, and logged with their line
number in `_truth/planted_lines.csv`. Every malformation keeps the identity column and
the natural key intact, so a truth id can always be found in the raw text.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datagen.mess import Tally

BAD_TIMESTAMPS = ("not-a-date", "2026-13-45T25:61:00", "31/06/2026 25:00")
BAD_NUMBERS = ("two", "1x", "#")
PLANTED_LINE_COLUMNS = ("source", "file", "line_number", "kind", "natural_key", "source_record_id")


@dataclass(frozen=True)
class SourceSpec:
    """Layout of one landing source, as in docs/contracts.md."""

    name: str
    file_name: str
    columns: tuple[str, ...]
    key_cols: tuple[int, ...]  # natural key
    id_col: int  # identity-bearing column (ground truth), or the key
    timestamp_col: int | None = None
    number_col: int | None = None  # an integer column a malformed line may spoil

    @property
    def malformed_kinds(self) -> tuple[str, ...]:
        """The ways a line of this source may be written malformed."""
        kinds = ["wrong_column_count", "truncated"]
        if self.timestamp_col is not None:
            kinds.append("bad_timestamp")
        if self.number_col is not None:
            kinds.append(f"non_numeric_{self.columns[self.number_col]}")
        return tuple(kinds)


SPECS: dict[str, SourceSpec] = {
    s.name: s
    for s in (
        SourceSpec(
            "crm_customers",
            "crm_customers.csv",
            (
                "customer_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "birth_date",
                "postcode",
                "city",
                "country",
                "loyalty_id",
                "marketing_consent",
                "created_at",
                "updated_at",
            ),
            key_cols=(0,),
            id_col=0,
            timestamp_col=12,
        ),
        SourceSpec(
            "web_orders",
            "web_orders.csv",
            (
                "order_id",
                "line_number",
                "customer_id",
                "ordered_at",
                "order_status",
                "sku",
                "category",
                "quantity",
                "unit_price",
                "currency",
            ),
            key_cols=(0, 1),
            id_col=0,
            timestamp_col=3,
            number_col=7,
        ),
        SourceSpec(
            "pos_orders",
            "pos_orders.csv",
            (
                "transaction_id",
                "line_number",
                "store_id",
                "loyalty_id",
                "email",
                "transacted_at",
                "sku",
                "category",
                "quantity",
                "unit_price",
                "currency",
            ),
            key_cols=(0, 1),
            id_col=0,
            timestamp_col=5,
            number_col=8,
        ),
        SourceSpec(
            "web_events",
            "web_events.jsonl",
            ("event_id", "occurred_at", "cookie_id", "user_id", "session_id", "event_type", "sku"),
            key_cols=(0,),
            id_col=2,
        ),
        SourceSpec(
            "email_engagement",
            "email_engagement.csv",
            ("event_id", "subscriber_id", "email", "campaign_id", "event_type", "occurred_at"),
            key_cols=(0,),
            id_col=1,
            timestamp_col=5,
        ),
        SourceSpec(
            "demographics",
            "demographics.csv",
            ("email_sha256", "age_band", "income_band", "household_size", "has_children", "region_type"),
            key_cols=(0,),
            id_col=0,
            number_col=3,
        ),
        # Optional: written only for the person-file scenario (generate(member_file_share=...)).
        SourceSpec(
            "scheme_members",
            "scheme_members.csv",
            (
                "member_id",
                "first_name",
                "last_name",
                "birth_date",
                "street",
                "postcode",
                "city",
                "country",
                "joined_at",
                "changed_at",
            ),
            key_cols=(0,),
            id_col=0,
            timestamp_col=9,
        ),
        SourceSpec(  # appended: malformed-line streams are numbered in this order
            "campaign_log",  # campaign audiences with holdout groups (datagen/campaigns.py)
            "campaign_log.csv",
            tuple(
                "campaign_id campaign_name channel subscriber_id customer_id email group assigned_at".split()
            ),
            key_cols=(0, 3),
            id_col=3,
            timestamp_col=7,
        ),
    )
}


class PlantedLog:
    """Streams `_truth/planted_lines.csv`: every line written malformed or otherwise planted."""

    def __init__(self, path: Path, tally: Tally) -> None:
        self._fh = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._fh, lineterminator="\n")
        self._writer.writerow(PLANTED_LINE_COLUMNS)
        self.tally = tally

    def log(self, source: str, file: str, line_number: int, kind: str, key: str, record_id: str) -> None:
        """Record one planted line (1-based line number, header included)."""
        self._writer.writerow((source, file, line_number, kind, key, record_id))

    def close(self) -> None:
        """Close the planted-lines file."""
        self._fh.close()


def malform(fields: list[str], kind: str, spec: SourceSpec, u: float) -> list[str]:
    """Spoil one row in the named way, keeping the key and identity columns intact."""
    keep = max(max(spec.key_cols), spec.id_col)
    out = list(fields)
    if kind == "wrong_column_count":
        pos = keep + 1 + int(u * (len(out) - keep - 1))
        if u < 0.5:
            del out[pos]  # a field went missing
        else:
            out.insert(pos, " n/a")  # an unquoted comma split a value
    elif kind == "truncated":
        line = ",".join(out)
        lo = len(",".join(out[: keep + 1])) + 1
        hi = line.rindex(",")  # cut before the last comma: always fewer columns
        out = line[: lo + int(u * max(hi - lo, 1))].split(",")
    elif kind == "bad_timestamp":
        out[spec.timestamp_col] = BAD_TIMESTAMPS[int(u * len(BAD_TIMESTAMPS))]
    else:
        out[spec.number_col] = BAD_NUMBERS[int(u * len(BAD_NUMBERS))]
    return out


class DropFile:
    """One landing file of one day: header first, then rows appended chunk by chunk."""

    def __init__(
        self,
        root: Path,
        day: str,
        spec: SourceSpec,
        log: PlantedLog,
        rng: np.random.Generator,
        malformed_rate: float,
    ) -> None:
        self.spec, self.log, self.rng, self.rate = spec, log, rng, malformed_rate
        self.rel = f"{spec.name}/{day}/{spec.file_name}"
        path = root / self.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("w", encoding="utf-8", newline="")
        self.rows = 0
        if spec.file_name.endswith(".csv"):
            self._fh.write(",".join(spec.columns) + "\n")
            self._line = 1
        else:
            self._line = 0

    def _record(self, i: int, kind: str, fields: list[str] | tuple[str, ...]) -> None:
        key = "/".join(fields[c] for c in self.spec.key_cols)
        self.log.log(self.spec.name, self.rel, self._line + 1 + i, kind, key, fields[self.spec.id_col])
        self.log.tally.add(f"{kind}:{self.spec.name}")

    def write_rows(self, columns: list[list[str]], planted: list[tuple[int, str]] = ()) -> None:
        """Append rows given column by column; `planted` = (row index, kind) already planted."""
        rows = list(zip(*columns, strict=True))
        for i, kind in planted:
            self._record(i, kind, rows[i])
        lines = list(map(",".join, rows))
        bad = np.flatnonzero(self.rng.random(len(rows)) < self.rate)
        kinds = self.spec.malformed_kinds
        choice, u = self.rng.integers(0, len(kinds), len(bad)), self.rng.random(len(bad))
        for i, k, uu in zip(bad.tolist(), choice.tolist(), u.tolist(), strict=True):
            self._record(i, kinds[k], rows[i])
            self.log.tally.add(f"malformed_line:{self.spec.name}")
            lines[i] = ",".join(malform(list(rows[i]), kinds[k], self.spec, uu))
        self._emit(lines)

    def write_json_lines(self, lines: list[str], keys: list[str], ids: list[str]) -> None:
        """Append JSON lines; a share (the writer's rate) is cut short before its closing brace."""
        bad = np.flatnonzero(self.rng.random(len(lines)) < self.rate)
        u = self.rng.random(len(bad))
        for i, uu in zip(bad.tolist(), u.tolist(), strict=True):
            line = lines[i]
            lo = line.index('"user_id"')  # cookie_id (the identity) comes before it
            lines[i] = line[: lo + int(uu * (len(line) - 1 - lo))]
            self.log.log(self.spec.name, self.rel, self._line + 1 + i, "broken_json", keys[i], ids[i])
            self.log.tally.add(f"broken_json:{self.spec.name}")
        self._emit(lines)

    def _emit(self, lines: list[str]) -> None:
        if lines:
            self._fh.write("\n".join(lines) + "\n")
        self._line += len(lines)
        self.rows += len(lines)

    def close(self) -> int:
        """Close the file; return the number of data lines written."""
        self._fh.close()
        return self.rows


class IdentityWriter:
    """Streams `_truth/identities.csv` (source, source_record_id, person_id)."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("w", newline="", encoding="utf-8")
        self._fh.write("source,source_record_id,person_id\n")
        self.rows = 0

    def write(self, source: str, record_ids: list[str], person_ids: list[str]) -> None:
        """Append (source, record id, person id) rows."""
        if record_ids:
            self._fh.write(
                "".join(f"{source},{r},{p}\n" for r, p in zip(record_ids, person_ids, strict=True))
            )
            self.rows += len(record_ids)

    def close(self) -> None:
        """Close the identities file."""
        self._fh.close()
