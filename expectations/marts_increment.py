"""Validate a mart in proportion to its change: GX on the touched rows, whole-table checks in SQL.

A row of a suite's frame is *touched* when its key and the hash of the columns its row-level
expectations read are not among the rows of the last passing validation (`marts_state`),
however the mart was built (full rebuild or incremental). An untouched row holds the same
values that passed the same row-level checks, so:
- row-level expectations (not null, in set, between, regex) run through GX on the touched rows;
  their counts are then reported over the whole table, as a full validation reports them;
- whole-table expectations (uniqueness) and row-level checks of columns that move with the
  date for everyone (`MOVING_COLUMNS` of a suite module: logical date, recency, cut-offs)
  are computed in DuckDB SQL over the whole frame and reported as the same expectations;
- rows that failed any row-level check (warnings included) are left out of the new state,
  so they are validated again, and counted again, until they change or pass.
A suite validates every row when it has no state yet, when its checks or hashed columns
changed, when `--full` is asked, or when it has a check SQL cannot express.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from expectations import marts_sql as sql
from expectations.marts_state import PendingState

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """How one suite's expectations are evaluated: `gx_rows` on touched rows, `in_sql` on the whole frame."""

    key: str | None
    gx_rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    in_sql: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    full_reason: str | None = None

    @property
    def hashed_columns(self) -> list[str]:
        return sorted({self.key, *(str(k["column"]) for _, k in self.gx_rows)})


def plan_suite(suite: Any, key: str | None, moving: frozenset[str], types: dict[str, str]) -> Plan:
    """Sort a suite's expectations into GX-on-touched-rows and SQL-on-the-whole-frame."""
    plan = Plan(key)
    seen: set[tuple[str, str]] = set()
    for expectation in suite.expectations:
        kind, kwargs = expectation.expectation_type, dict(expectation.configuration.kwargs)
        column = str(kwargs.get("column"))
        if kind in sql.SCHEMA:
            continue
        if not sql.expressible(kind, kwargs):
            plan.full_reason = f"{kind} is not expressible in SQL"
        elif column not in types:
            plan.full_reason = f"column {column} is missing"
        elif (kind, column) in seen:
            plan.full_reason = f"two {kind} checks on {column}"
        elif kind in sql.WHOLE_TABLE or column in moving:
            plan.in_sql.append((kind, kwargs))
        else:
            plan.gx_rows.append((kind, kwargs))
        seen.add((kind, column))
    if key is None or key not in types:
        plan.full_reason = "no key column"
    return plan


@dataclass
class Increment:
    """One suite's incremental run: rows, touched rows, whole-table results and the pending state."""

    suite: str
    plan: Plan
    full: bool
    rows: int
    touched: int
    previous_rows: int | None
    missing: dict[str, int]
    sql_results: dict[tuple[str, str], tuple[bool, dict[str, Any]]]
    touched_unexpected: dict[tuple[str, str], int]
    settings: Any
    consistent: bool = True

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"

    def adjust(self, validation: Any) -> None:
        """Report the touched-rows validation over the whole table (incremental runs only).

        Also checks that SQL and GX agree on which touched rows are unexpected: when they do not,
        the state is not advanced (the next run validates these rows again).
        """
        for item in validation.results:
            kind = item.expectation_config.type
            kwargs = dict(item.expectation_config.kwargs)
            check = (kind, str(kwargs.get("column")))
            if check in self.touched_unexpected:
                observed = (item.result or {}).get("unexpected_count")
                if observed is None or int(observed) != self.touched_unexpected[check]:
                    self.consistent = False
                    log.warning("%s: SQL and GX disagree on %s(%s)", self.suite, *check)
            if self.full:
                continue
            if check in self.sql_results:
                item.success, item.result = self.sql_results[check]
            elif check in self.touched_unexpected and item.result:
                absent = None if kind == "expect_column_values_to_not_be_null" else self.missing[check[1]]
                item.result = sql.rescaled(dict(item.result), self.rows, absent)
                nonmissing = self.rows - (absent or 0)
                item.success = sql.passes(
                    int(item.result.get("unexpected_count") or 0), nonmissing, kwargs.get("mostly")
                )
        if not self.full:
            _restate(validation)

    def commit(self) -> None:
        """Keep this run's state (the gate passed); a run whose SQL and GX disagreed keeps the old one."""
        if self.consistent:
            PendingState(self.settings, self.suite).commit()
        else:
            self.discard()

    def discard(self) -> None:
        """Drop this run's state (the gate failed)."""
        PendingState(self.settings, self.suite).discard()


def _restate(validation: Any) -> None:
    results = validation.results
    successful = sum(bool(r.success) for r in results)
    validation.statistics.update(
        evaluated_expectations=len(results),
        successful_expectations=successful,
        unsuccessful_expectations=len(results) - successful,
        success_percent=100.0 * successful / len(results) if results else None,
    )
    validation.success = successful == len(results)
