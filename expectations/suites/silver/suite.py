"""Suite `silver.<table>` of any source: built from its contract's rules, its extras and its history.

    build_suite(contract, logical_date, baseline=None, thresholds=None)

Adding a contract gives its silver table a suite with no code change; `rules.py` says what is
derived and why, `extras.py` how a source adds what its contract cannot say.
"""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from customer_platform.registry import SourceContract
from expectations.common import (
    COUNTRY_CODE_REGEX,
    E164_REGEX,
    EMAIL_REGEX,
    LINEAGE_COLUMNS,
    SHA256_REGEX,
    GateThresholds,
    critical,
    future_cutoff,
    new_suite,
    parse_logical_date,
    warning,
)
from expectations.history import TableBaseline
from expectations.suites.silver.drift import history_expectations
from expectations.suites.silver.extras import load_extras
from expectations.suites.silver.rules import SilverRules, derive_rules

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def build_suite(
    contract: SourceContract,
    logical_date: str | date,
    baseline: TableBaseline | None = None,
    thresholds: GateThresholds | None = None,
) -> gx.ExpectationSuite:
    """Suite of the contract's silver table for one logical date (history checks when `baseline` is given)."""
    thresholds = thresholds or GateThresholds()
    day = parse_logical_date(logical_date)
    rules = derive_rules(contract, thresholds)
    extras_file, extras = load_extras(contract)
    expectations = contract_expectations(rules, day, thresholds) + rules_expectations(rules, day) + extras
    if baseline is not None:
        expectations += history_expectations(baseline, thresholds)
    return new_suite(
        rules.suite_name,
        _without_repeats(expectations),
        table=rules.table,
        source=rules.source,
        contract=str(contract.path) if contract.path else None,
        extras=str(extras_file) if extras_file else None,
        logical_date=str(day),
        baseline=baseline.describe() if baseline else None,
    )


def contract_expectations(
    rules: SilverRules, logical_date: date, thresholds: GateThresholds
) -> list[Expectation]:
    """Columns exist, required values present, key unique, formats valid, nothing from the future."""
    out: list[Expectation] = [
        critical(gxe.ExpectColumnToExist, column=c) for c in (*rules.columns, *LINEAGE_COLUMNS)
    ]
    out += [critical(gxe.ExpectColumnValuesToNotBeNull, column=c) for c in (*rules.required, "_ingest_date")]
    if len(rules.natural_key) == 1:
        out.append(critical(gxe.ExpectColumnValuesToBeUnique, column=rules.natural_key[0]))
    else:
        out.append(critical(gxe.ExpectCompoundColumnsToBeUnique, column_list=list(rules.natural_key)))
    mostly = thresholds.format_mostly
    out += [_regex(critical, c, EMAIL_REGEX, mostly) for c in rules.emails]
    out += [_regex(critical, c, E164_REGEX, mostly) for c in rules.phones]
    cutoff = future_cutoff(logical_date)
    out += [critical(gxe.ExpectColumnValuesToBeBetween, column=c, max_value=cutoff) for c in rules.timestamps]
    out.append(
        critical(
            gxe.ExpectColumnValuesToBeBetween,
            column="_ingest_date",
            min_value=logical_date,
            max_value=logical_date,
        )
    )
    return out


def rules_expectations(rules: SilverRules, logical_date: date) -> list[Expectation]:
    """Hash and country formats, birth dates, the fields' value rules and the measures' role checks."""
    out = [_regex(critical, c, SHA256_REGEX) for c in rules.key_hashes]
    out += [_regex(warning, c, SHA256_REGEX) for c in rules.hashes]
    out += [_regex(warning, c, COUNTRY_CODE_REGEX) for c in rules.country_codes]
    out += [
        warning(
            gxe.ExpectColumnValuesToBeBetween, column=c, min_value=EARLIEST_BIRTH_DATE, max_value=logical_date
        )
        for c in rules.birth_dates
    ]
    out += [
        _by(r.severity)(gxe.ExpectColumnValuesToBeInSet, column=r.column, value_set=list(r.values))
        for r in rules.in_sets
    ]
    out += [
        _by(r.severity)(gxe.ExpectColumnValuesToNotBeInSet, column=r.column, value_set=list(r.values))
        for r in rules.not_in_sets
    ]
    for r in rules.ranges:
        bounds = {k: v for k, v in (("min_value", r.min_value), ("max_value", r.max_value)) if v is not None}
        if r.strict_min:
            bounds["strict_min"] = True
        out.append(_by(r.severity)(gxe.ExpectColumnValuesToBeBetween, column=r.column, **bounds))
    out += [
        warning(gxe.ExpectColumnValuesToNotBeNull, column=c) for c in rules.present if c not in rules.required
    ]
    out += [
        warning(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A=later,
            column_B=earlier,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
        for later, earlier in rules.ordered
    ]
    return out


def _regex(severity, column: str, regex: str, mostly: float | None = None) -> Expectation:
    extra = {"mostly": mostly} if mostly is not None else {}
    return severity(gxe.ExpectColumnValuesToMatchRegex, column=column, regex=regex, **extra)


def _by(severity: str):
    return critical if severity == "critical" else warning


def _without_repeats(expectations: list[Expectation]) -> list[Expectation]:
    """Drop an expectation that repeats an earlier one's type and arguments (the earlier wins)."""
    seen, kept = set(), []
    for expectation in expectations:
        key = (expectation.expectation_type, repr(sorted(expectation.configuration.kwargs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(expectation)
    return kept
