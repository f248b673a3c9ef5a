"""Erase one person from every other file under the data folder: free text and stray Parquet.

    counts = purge_files(targets, needles)     # {"files": {relative path: values or rows removed}}

The purges before this one know where each layer keeps its rows. This sweep covers the rest
of the data folder (and the configured locations outside it: the GX folder, Airflow's logs,
the lakehouse, exports, MLflow's local artifacts), file by file, so nothing the platform or
its tools wrote keeps the person:

- **text files** (anything without a NUL byte: JSON, JSONL, CSV, HTML, logs, YAML, MLflow's
  `MLmodel`): run summaries and failure records (`runs/`), GX validation results and Data
  Docs (`dq/`), Airflow task logs, dbt's logs and artifacts, MLflow artifacts, reports. The
  person's values are replaced with `[erased]` (`privacy.scrub`);
- **Parquet files** other than the lakehouse partitions and exports the earlier purges
  rewrote (a table of a source whose contract is gone, a crashed swap's `_staging`/`_trash`
  copy, anything else): rows holding one of the person's values are dropped.

Every rewrite is atomic (`privacy.atomic`). Left alone, each for its reason: the generator's
ground truth (`landing/_truth`: test data, not platform data); the landing folders of known
sources and the lakehouse partitions (their purges remove whole lines and rows); the warehouse
file (deleted rows, then a rebuild: `customer_platform.warehouse_compaction`); queued erasure
requests (deleted when their erasure is done); other binary files (the SQLite databases of
Airflow and MLflow, which by design never receive an identifier, pictures, pickled models);
and `bench/`, whose data sets are separate platform instances with their own data folders.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from customer_platform.config import Settings, get_settings
from customer_platform.registry import get_registry
from privacy.atomic import write_bytes_atomically, write_text_atomically
from privacy.matching import ValueMatcher
from privacy.purge import layer_tables
from privacy.scrub import TextScrubber
from privacy.targets import ErasureTargets

#: Files larger than this are reported, not read (no text file the platform writes comes close).
MAX_TEXT_BYTES = 512 * 1024 * 1024
_SNIFF_BYTES = 8192
_LAYERS = ("bronze", "quarantine", "silver")
log = logging.getLogger(__name__)


def purge_files(targets: ErasureTargets, needles: Iterable[str] = ()) -> dict[str, dict[str, int]]:
    """Replace the person's values in every text file and drop their rows from stray Parquet files.

    needles: exact strings beyond the targets' ids and hashes (the request's normalized
    emails and phones, when at hand). Returns `{"files": {path: values replaced or rows dropped}}`,
    paths relative to the data folder.
    """
    settings = get_settings()
    scrubber = TextScrubber(ValueMatcher.for_targets(targets), needles)
    counts: dict[str, int] = {}
    for path in candidate_files(settings):
        if path.suffix == ".parquet":
            changed = _purge_parquet(path, scrubber)
        else:
            changed = _scrub_text(path, scrubber)
        if changed:
            counts[_relative(path, settings.data_dir)] = changed
    counts.update(_drop_gate_state(settings))
    return {"files": counts}


def _drop_gate_state(settings: Settings) -> dict[str, int]:
    """Delete the marts gate's state: row hashes keyed by customer, not values the sweep can find.

    Without it the next gate validates every row again and writes a state without the person.
    """
    removed: dict[str, int] = {}
    folder = settings.marts_gate_state_dir
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.is_file():
            path.unlink()
            removed[_relative(path, settings.data_dir)] = 1
    return removed


def candidate_files(settings: Settings | None = None) -> Iterator[Path]:
    """Every file the sweep reads: under the data folder and the configured roots, minus what it leaves alone."""
    settings = settings or get_settings()
    skipped_dirs, skipped_files = _left_alone(settings)
    for root in _roots(settings):
        for folder, dirs, names in os.walk(root):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if (here / d) not in skipped_dirs)
            for name in sorted(names):
                path = here / name
                if path in skipped_files or path.is_symlink() or not path.is_file():
                    continue
                if path.suffix == ".parquet" and path.parent.parent in skipped_files:
                    continue  # a partition of a known lakehouse table: purged by rows already
                yield path


def _roots(settings: Settings) -> list[Path]:
    roots = [settings.data_dir, settings.dq_dir, settings.airflow_home / "logs", settings.lakehouse_dir,
             settings.exports_dir]  # fmt: skip
    artifacts = settings.mlflow_artifact_root
    if "://" not in artifacts or artifacts.startswith("file://"):
        roots.append(Path(artifacts.removeprefix("file://")))
    roots = [r.resolve() for r in roots if r.is_dir()]
    return [r for r in roots if not any(r != o and r.is_relative_to(o) for o in roots)]


def _left_alone(settings: Settings) -> tuple[set[Path], set[Path]]:
    """(folders, and files or table folders) the sweep does not read (see the module docstring)."""
    registry = get_registry()
    folders = [settings.bench_dir, settings.truth_dir, settings.erasure_requests_dir]
    folders += [settings.landing_dir / contract.name for contract in registry.contracts.values()]
    # Both database files are purged by rows (warehouse, and the restricted one beside it).
    databases = (settings.warehouse_path, settings.restricted_path)
    files = {f for db in databases for f in (db, db.with_name(db.name + ".wal"))}
    # Lakehouse table folders: their `ingest_date=*` partitions are purged by rows (parent of a part's folder).
    files |= {table_dir.resolve() for layer in _LAYERS for table_dir in layer_tables(layer).values()}
    exports = settings.exports_dir.resolve()
    files |= (
        {p.resolve() for p in exports.rglob("*") if p.suffix in (".csv", ".parquet")}
        if exports.is_dir()
        else set()
    )
    return {f.resolve() for f in folders}, {f.resolve() for f in files}


def _relative(path: Path, data_dir: Path) -> str:
    return str(path.relative_to(data_dir)) if path.is_relative_to(data_dir) else str(path)


def _scrub_text(path: Path, scrubber: TextScrubber) -> int:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        log.warning("erasure: %s is over %d bytes and was not searched", path, MAX_TEXT_BYTES)
        return 0
    data = path.read_bytes()
    if not data or b"\x00" in data[:_SNIFF_BYTES]:
        return 0  # empty, or binary
    text = data.decode("utf-8", errors="surrogateescape")
    scrubbed, replaced = scrubber.scrub(text)
    if replaced:
        write_text_atomically(path, scrubbed)
    return replaced


def _purge_parquet(path: Path, scrubber: TextScrubber) -> int:
    """Drop rows of one Parquet file holding one of the person's values (any text column); rows dropped."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return 0  # not readable as Parquet: nothing the platform reads either
    keep = [True] * table.num_rows
    for name in table.column_names:
        for row, value in enumerate(table.column(name).to_pylist()):
            if keep[row] and _cell_matches(value, scrubber):
                keep[row] = False
    dropped = keep.count(False)
    if dropped:
        buffer = io.BytesIO()
        pq.write_table(table.filter(pa.array(keep)), buffer, compression="zstd")
        write_bytes_atomically(path, buffer.getvalue())
    return dropped


def _cell_matches(value: object, scrubber: TextScrubber) -> bool:
    if isinstance(value, str):
        return scrubber.matcher.value(value) or scrubber.contains(value)
    if isinstance(value, list | tuple):
        return any(_cell_matches(v, scrubber) for v in value)
    if isinstance(value, dict):
        return any(_cell_matches(v, scrubber) for v in value.values())
    return False
