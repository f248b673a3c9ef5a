"""Collect what the marts gate validates: frames queried from the warehouse (read-only DuckDB)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import duckdb

from customer_platform.config import Settings
from customer_platform.registry import get_registry
from expectations.common import CRITICAL, GateThresholds
from expectations.gx_context import ValidationTarget
from expectations.results import gate_check
from expectations.silver_gate import Collected
from expectations.suites.catalog import MARTS_SUITES

SCHEMA = "marts"


def collect_marts(
    settings: Settings,
    logical_date: date,
    thresholds: GateThresholds,
    only_suites: Collection[str] | None = None,
) -> Collected:
    """Query each mart check's frame and build its suite; the connection is closed on return."""
    collected = Collected()
    modules = [m for m in MARTS_SUITES if only_suites is None or m.SUITE_NAME in only_suites]
    if not settings.warehouse_path.is_file():
        for module in modules:
            if not module.OPTIONAL:
                collected.outcomes.append(
                    gate_check(
                        module.SUITE_NAME,
                        "table_present",
                        CRITICAL,
                        False,
                        f"no warehouse at {settings.warehouse_path}",
                    )
                )
        return collected
    registry = get_registry(settings)
    connection = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        connection.execute("set TimeZone = 'UTC'")
        present = {
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?", [SCHEMA]
            ).fetchall()
        }
        for module in modules:
            missing = [t for t in module.TABLES if t not in present]
            if missing:
                names = ", ".join(f"{SCHEMA}.{t}" for t in missing)
                if module.OPTIONAL:
                    collected.notes.append(f"{module.SUITE_NAME} skipped: {names} not present")
                else:
                    collected.outcomes.append(
                        gate_check(module.SUITE_NAME, "table_present", CRITICAL, False, f"{names} not found")
                    )
                continue
            try:
                parameters = (
                    module.query_parameters(registry) if hasattr(module, "query_parameters") else None
                )
                frame = connection.execute(module.QUERY, parameters).df()
            except duckdb.Error as exc:
                first_line = str(exc).splitlines()[0]
                collected.outcomes.append(
                    gate_check(
                        module.SUITE_NAME, "query_succeeds", CRITICAL, False, f"query failed: {first_line}"
                    )
                )
                continue
            suite = module.build_suite(logical_date, thresholds, frame, registry)
            if hasattr(module, "notes"):
                collected.notes.extend(module.notes(frame, logical_date))
            collected.targets.append(ValidationTarget(suite, frame, "pandas", module.ASSET_NAME))
    finally:
        connection.close()
    return collected
