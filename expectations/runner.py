"""Run a data-quality gate for one logical date: validate, keep the results, raise on critical failure.

    python -m expectations.runner --gate silver --date 2026-06-30 [--run-id X] [--full]

`--full` makes the marts gate validate every row (by default it validates the rows changed
since its last passing run, and whole-table checks in SQL: `expectations.marts_increment`);
exits 1 with the failure message when a critical expectation fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from customer_platform.cli_args import iso_date, settings_or_exit
from customer_platform.config import Settings, get_settings
from customer_platform.registry import get_registry
from expectations.common import CRITICAL, GateThresholds, parse_logical_date
from expectations.redaction import personal_columns, redact_results, redact_stored_result
from expectations.results import (
    DataQualityGateFailed,
    ExpectationOutcome,
    GateResult,
    outcomes_from_validation,
)

GATES = ("silver", "marts")
log = logging.getLogger(__name__)


def run_gate(
    gate: str,
    logical_date: str,
    run_id: str,
    *,
    thresholds: GateThresholds | None = None,
    only_suites: Collection[str] | None = None,
    settings: Settings | None = None,
    full: bool = False,
) -> GateResult:
    """Validate the gate's data for `logical_date`; return the result or raise `DataQualityGateFailed`.

    gate: "silver" (the date's silver partitions, read with Spark) or "marts" (warehouse
    tables, read-only DuckDB). Results are written to `<dq_dir>/results/<gate>/<date>/<run_id>.json`
    and `marts.dq_results`, and Data Docs are updated, before any failure is raised.
    only_suites: restrict the run to these suite names (tests, targeted re-checks).
    full: marts gate only: validate every row through GX, not only the rows changed since the
    last passing run. The state of what was validated advances only when the gate passes.
    """
    if gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(map(repr, GATES))}, got {gate!r}")
    day = parse_logical_date(logical_date)
    if not run_id or not str(run_id).strip():
        raise ValueError("run_id must be a non-empty string")
    settings = settings or get_settings()
    thresholds = thresholds or GateThresholds()
    thresholds.validate()
    if only_suites is not None:
        only_suites = _checked_suites(gate, only_suites, settings)

    collected = _collect(gate, settings, day, thresholds, only_suites, full, str(run_id))
    outcomes: list[ExpectationOutcome] = list(collected.outcomes)
    suites = _ordered_suites(gate, only_suites, settings)
    try:
        docs_index = _validate_all(
            gate, str(day), str(run_id), settings, collected.targets, outcomes, collected.notes
        )
    finally:
        for target in collected.targets:
            target.release()

    result = GateResult(
        gate=gate,
        logical_date=str(day),
        run_id=str(run_id),
        suites=suites,
        outcomes=sorted(outcomes, key=lambda o: suites.index(o.suite) if o.suite in suites else len(suites)),
        notes=collected.notes,
        partial=only_suites is not None,
        data_docs_index=docs_index,
        rows=collected.rows,
    )
    from expectations.dq_store import write_dq_results, write_results_json

    kept = False
    try:
        result.results_path = write_results_json(settings, result)
        write_dq_results(settings, result)
        if result.success:
            for pending in collected.pending:
                pending.commit()
            kept = True
    finally:
        if not kept:
            for pending in collected.pending:
                pending.discard()
    for outcome in result.warnings:
        log.warning("%s gate warning: %s", gate, outcome.describe())
    if not result.success:
        raise DataQualityGateFailed(result)
    return result


def _collect(gate, settings, day, thresholds, only_suites, full, run_id):
    if gate == "silver":
        from customer_platform.spark import get_spark
        from expectations.silver_gate import collect_silver

        return collect_silver(get_spark("dq-silver-gate"), settings, day, thresholds, only_suites)
    from expectations.marts_gate import collect_marts

    return collect_marts(settings, day, thresholds, only_suites, full=full, run_id=run_id)


def _suite_names(gate: str, settings: Settings) -> list[str]:
    from expectations.suites.catalog import suite_names  # imports every marts suite (GX): only when asked

    return suite_names(gate, get_registry(settings))


def _checked_suites(gate: str, only_suites: Collection[str], settings: Settings) -> frozenset[str]:
    unknown = sorted(set(only_suites) - set(_suite_names(gate, settings)))
    if unknown:
        raise ValueError(f"only_suites has suites the {gate} gate does not run: {', '.join(unknown)}")
    return frozenset(only_suites)


def _ordered_suites(gate: str, only_suites: Collection[str] | None, settings: Settings) -> list[str]:
    return [n for n in _suite_names(gate, settings) if only_suites is None or n in only_suites]


def _validate_all(gate, logical_date, run_id, settings, targets, outcomes, notes) -> Path | None:
    """Validate every target inside one locked GX context; build Data Docs once at the end.

    A validation that errors is a critical outcome (the gate fails closed); Data Docs that
    fail to render are only a note (the results JSON and `marts.dq_results` still hold all).
    """
    from expectations import gx_context

    identifiers, validated = [], []
    # Examples of personal columns are redacted before anything reads or renders the results.
    personal = personal_columns(get_registry(settings))
    gx_run_id = gx_context.run_identifier(gate, logical_date, run_id)
    with gx_context.open_context(settings) as context:
        for target in targets:
            try:
                identifier, validation = gx_context.validate_target(context, target, gx_run_id)
                if target.adjust is not None:  # reported over the whole table, then stored again
                    target.adjust(validation)
                    redact_results(validation.results, personal)
                    context.validation_results_store.set(identifier, validation)
                else:
                    redact_stored_result(context, identifier, validation, personal)
            except Exception as exc:  # a broken validation must fail the gate, not pass it
                log.exception("validation of %s failed", target.suite_name)
                outcomes.append(
                    ExpectationOutcome(
                        target.suite_name, "validation_runs", None, CRITICAL, False, f"error: {exc}"
                    )
                )
                continue
            finally:
                target.release()
            identifiers.append(identifier)
            validated.append(target.suite_name)
            outcomes.extend(outcomes_from_validation(target.suite_name, validation))
        if not validated:
            return None
        try:
            return gx_context.build_data_docs(context, identifiers, validated, settings.data_docs_dir)
        except Exception as exc:
            log.exception("Data Docs were not built")
            notes.append(f"Data Docs were not built: {type(exc).__name__}: {exc}")
            return None


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: run one gate; print the summary as JSON; exit 1 with the message on critical failure."""
    parser = argparse.ArgumentParser(
        prog="python -m expectations.runner", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--gate", required=True, choices=GATES)
    parser.add_argument("--date", type=iso_date, required=True, help="logical date, YYYY-MM-DD")
    parser.add_argument("--run-id", default=None, help="pipeline run id (default: manual__<date>)")
    parser.add_argument(
        "--full", action="store_true", help="marts gate: validate every row, not only the changed ones"
    )
    settings_or_exit(parser.prog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = run_gate(args.gate, args.date, args.run_id or f"manual__{args.date}", full=args.full)
    except DataQualityGateFailed as failure:
        print(str(failure), file=sys.stderr)
        return 1
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(result.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
