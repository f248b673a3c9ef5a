"""Validate contracts, and dry-run a draft through the real ingestion on its sample.

The dry run ingests the sample with Spark into a scratch data folder with only the draft
contract loaded: nothing reaches the deployment's lakehouse. It reports rows read, kept and
quarantined by reason with the first line numbers of each (never the values: a sample holds
personal data).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from customer_platform.config import reload_settings
from customer_platform.contract_options import check_relations
from customer_platform.registry import ContractError, load_contract

DRY_RUN_DATE = "2000-01-01"


def contract_problems(paths: list[Path]) -> dict[Path, list[str]]:
    """Every problem of each contract file, then of the set (names, tables, relations)."""
    problems: dict[Path, list[str]] = {}
    contracts = {}
    for path in paths:
        try:
            contract = load_contract(path)
        except ContractError as exc:
            problems[path] = exc.problems
            continue
        problems[path] = []
        if contract.name in contracts:
            problems[path].append(
                f"{path}: source {contract.name!r} already defined in {contracts[contract.name].path}"
            )
        contracts[contract.name] = contract
    if not any(problems.values()):
        # Related sources may live beside the checked files (a draft order names its payments).
        for folder in {p.parent for p in paths}:
            for other in [*folder.glob("*.yml"), *folder.glob("*.yaml")]:
                if other not in problems:
                    try:
                        related = load_contract(other)
                    except ContractError:
                        continue  # reported when that file itself is validated
                    contracts.setdefault(related.name, related)
        try:
            check_relations(contracts)
        except ContractError as exc:
            problems.setdefault(paths[0], []).extend(exc.problems)
    return problems


@contextmanager
def _scratch(contract_path: Path, active: list[str]):
    """Settings of a throwaway data folder with the draft's folder of contracts, `active` switched on."""
    saved = {k: os.environ.get(k) for k in ("CDP_DATA_DIR", "CDP_CONTRACTS_DIR", "CDP_SOURCES")}
    for key in ("CDP_LANDING_DIR", "CDP_LAKEHOUSE_DIR", "CDP_WAREHOUSE_PATH"):
        saved[key] = os.environ.pop(key, None)
    with tempfile.TemporaryDirectory(prefix="cdp-dry-run-") as tmp:
        contracts = Path(tmp) / "contracts"
        contracts.mkdir()
        for path in [*contract_path.parent.glob("*.yml"), *contract_path.parent.glob("*.yaml")]:
            shutil.copy(path, contracts / path.name)
        os.environ |= {
            "CDP_DATA_DIR": str(Path(tmp) / "data"),
            "CDP_CONTRACTS_DIR": str(contracts),
            "CDP_SOURCES": ",".join(active),
        }
        try:
            yield reload_settings()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            reload_settings()


def dry_run(contract_path: Path, sample: Path, examples: int = 3) -> dict[str, Any]:
    """Ingest `sample` with the contract at `contract_path` in a scratch folder; the counts by reason."""
    from spark_jobs.ingest import QuarantineThresholdExceeded, ingest_source

    contract = load_contract(contract_path)
    # Related sources (an order's payments) are switched on too; they have no rows here.
    with _scratch(contract_path, [contract.name, *contract.relations.values()]) as settings:
        drop = settings.landing_dir / contract.name / DRY_RUN_DATE
        drop.mkdir(parents=True)
        files = sorted(p for p in sample.iterdir() if p.is_file()) if sample.is_dir() else [sample]
        for path in files:
            shutil.copy(path, drop / path.name)
        try:
            manifest = ingest_source(contract.name, DRY_RUN_DATE, run_id="dry_run")
            breached = False
        except QuarantineThresholdExceeded as exc:
            manifest, breached = exc.manifests[0], True
        lines: dict[str, list[int]] = {}
        quarantine = settings.quarantine_dir / contract.name
        if any(quarantine.rglob("*.parquet")):
            rows = duckdb.sql(
                f"select _reason, _line_number from read_parquet('{quarantine}/**/*.parquet') order by _line_number"
            ).fetchall()
            for reason, line in rows:
                # The quarantine's reason carries the offending value after ': '; the manifest's does not.
                reason = next(
                    (r for r in manifest.get("quarantine_reasons", {}) if reason.startswith(r)), reason
                )
                if len(lines.setdefault(reason, [])) < examples:
                    lines[reason].append(int(line))
    return {
        "rows_read": manifest.get("rows_read", 0),
        "rows_bronze": manifest.get("rows_bronze", 0),
        "rows_quarantined": manifest.get("rows_quarantined", 0),
        "rows_silver": manifest.get("rows_silver", 0),
        "quarantine_reasons": manifest.get("quarantine_reasons", {}),
        "example_lines": lines,
        "threshold_exceeded": breached,
    }


def validate_command(paths: list[Path]) -> int:
    """`cdp contracts validate [PATH ...]`: 0 when every contract is valid, 1 naming every problem."""
    from customer_platform.config import get_settings

    if not paths:
        folder = get_settings().contracts_dir
        paths = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
        if not paths:
            print(f"cdp contracts validate: no contract (*.yml) in {folder} (CDP_CONTRACTS_DIR)")
            return 1
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print(f"cdp contracts validate: no such file: {', '.join(map(str, missing))}")
        return 2
    problems = contract_problems(paths)
    for path, found in problems.items():
        print(f"{'ok' if not found else 'INVALID'}: {path}")
        for problem in found:
            print(f"  - {problem}")
    bad = sum(1 for found in problems.values() if found)
    print(f"{len(paths) - bad} of {len(paths)} contracts valid")
    return 1 if bad else 0


def print_dry_run(result: dict[str, Any]) -> None:
    print(
        f"dry run: {result['rows_read']:,} rows read, {result['rows_bronze']:,} kept, "
        f"{result['rows_quarantined']:,} quarantined, {result['rows_silver']:,} in silver"
    )
    for reason, count in sorted(result["quarantine_reasons"].items(), key=lambda kv: -kv[1]):
        lines = ", ".join(map(str, result["example_lines"].get(reason, [])))
        print(f"  quarantined {count:,}: {reason} (e.g. lines {lines})")
    if result["threshold_exceeded"]:
        print("  the quarantined share exceeds the limit: fix the mapping, or set quarantine.max_rate")
