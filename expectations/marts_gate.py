"""Collect what the marts gate validates: frames queried from the warehouse (read-only DuckDB)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import duckdb

from customer_platform.config import Settings
from customer_platform.registry import get_registry
from expectations import marts_touched as touched
from expectations.common import CRITICAL, GateThresholds
from expectations.gx_context import ValidationTarget
from expectations.marts_increment import Increment, plan_suite
from expectations.results import gate_check
from expectations.silver_gate import Collected
from expectations.suites.catalog import MARTS_SUITES

SCHEMA = "marts"


def collect_marts(
    settings: Settings,
    logical_date: date,
    thresholds: GateThresholds,
    only_suites: Collection[str] | None = None,
    *,
    full: bool = False,
    run_id: str = "",
) -> Collected:
    """Query each mart check's frame and build its suite; the connection is closed on return.

    Each suite validates the rows touched since its last passing validation through GX, and its
    whole-table checks in SQL (`expectations.marts_increment`); full: validate every row.
    """
    collected = Collected()
    run = (str(logical_date), run_id)
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
                types = touched.materialise(connection, module.QUERY, parameters)
                head = touched.sample(connection)
                suite = module.build_suite(logical_date, thresholds, head, registry)
                if hasattr(module, "notes"):
                    collected.notes.extend(module.notes(head, logical_date))
                target = _target(connection, settings, module, suite, types, thresholds, collected, full, run)
            except duckdb.Error as exc:
                first_line = str(exc).splitlines()[0]
                collected.outcomes.append(
                    gate_check(
                        module.SUITE_NAME, "query_succeeds", CRITICAL, False, f"query failed: {first_line}"
                    )
                )
                continue
            finally:
                touched.drop_temporary(connection)
            collected.targets.append(target)
    finally:
        connection.close()
    return collected


def _target(connection, settings, module, suite, types, thresholds, collected, full, run) -> ValidationTarget:
    """The suite's validation target: its touched rows with an adjustment, or every row.

    Raises duckdb.Error when the suite's query fails.
    """
    key = getattr(module, "KEY", None)
    plan = plan_suite(suite, key, frozenset(getattr(module, "MOVING_COLUMNS", ())), types)
    if plan.full_reason is None:
        try:
            frame, increment = touched.select_touched(
                connection, settings, suite.name, plan, types, full, run
            )
        except duckdb.Error as exc:
            plan.full_reason = f"SQL failed: {str(exc).splitlines()[0]}"
        else:
            collected.pending.append(increment)
            collected.outcomes.append(row_count_check(increment, thresholds))
            collected.rows[suite.name] = {
                "rows": increment.rows,
                "validated": increment.touched,
                "mode": increment.mode,
            }
            return ValidationTarget(suite, frame, "pandas", module.ASSET_NAME, adjust=increment.adjust)
    frame = touched.whole_frame(connection)
    collected.notes.append(f"{suite.name}: every row validated ({plan.full_reason})")
    collected.rows[suite.name] = {"rows": len(frame), "validated": len(frame), "mode": "full"}
    return ValidationTarget(suite, frame, "pandas", module.ASSET_NAME)


def row_count_check(increment: Increment, thresholds: GateThresholds):
    """`row_count`: the frame has at least `min_rows_ratio` of the rows of its last passing validation."""
    previous = increment.previous_rows
    if previous is None:
        return gate_check(
            increment.suite,
            "row_count",
            CRITICAL,
            True,
            f"observed {increment.rows} rows (none validated before)",
        )
    least = int(previous * thresholds.min_rows_ratio)
    ok = increment.rows >= least and not (increment.rows == 0 and previous > 0)
    observed = f"observed {increment.rows} rows, expected at least {least} ({previous} last validated)"
    return gate_check(increment.suite, "row_count", CRITICAL, ok, observed)
