"""Gate outcomes: one record per expectation, the gate's verdict and its failure message."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expectations.common import CRITICAL, WARNING, severity_of

MAX_FAILURES_IN_MESSAGE = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation (or of a gate check done outside GX, e.g. a missing partition)."""

    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """`expect_x(column)` or `expect_x` for table-level checks."""
        return f"{self.expectation}({self.column})" if self.column else self.expectation

    def describe(self) -> str:
        """`suite S, expect_x(col): observed ...` as used in failure messages."""
        return f"suite {self.suite}, {self.label}: {self.observed_value}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "suite": self.suite,
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "success": self.success,
            "observed_value": self.observed_value,
            "details": self.details,
        }


def gate_check(suite: str, check: str, severity: str, success: bool, observed: str) -> ExpectationOutcome:
    """An outcome of a check the gate makes itself (partition, manifest or table present)."""
    return ExpectationOutcome(suite, check, None, severity, success, observed, {"source": "gate"})


@dataclass
class GateResult:
    """What one gate run found; `success` is False when any critical expectation failed."""

    gate: str
    logical_date: str
    run_id: str
    suites: list[str]
    outcomes: list[ExpectationOutcome]
    notes: list[str] = field(default_factory=list)
    #: True when only some of the gate's suites ran (`only_suites`).
    partial: bool = False
    results_path: Path | None = None
    data_docs_index: Path | None = None
    #: Marts gate: per suite, the rows of its table, how many GX validated, and the mode.
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == CRITICAL]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == WARNING]

    @property
    def success(self) -> bool:
        return not self.critical_failures

    def failure_message(self) -> str:
        """`<gate> gate failed: suite S, expect_x(col): observed ...; ...` naming every critical failure."""
        failures = self.critical_failures
        shown = "; ".join(o.describe() for o in failures[:MAX_FAILURES_IN_MESSAGE])
        more = len(failures) - MAX_FAILURES_IN_MESSAGE
        suffix = f"; and {more} more critical failure(s)" if more > 0 else ""
        return f"{self.gate} gate failed: {shown}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        """JSON/XCom-safe summary (paths as strings, warnings as messages)."""
        return {
            "gate": self.gate,
            "logical_date": self.logical_date,
            "run_id": self.run_id,
            "success": self.success,
            "suites": list(self.suites),
            "partial": self.partial,
            "expectations": len(self.outcomes),
            "critical_failures": [o.describe() for o in self.critical_failures],
            "warnings": [o.describe() for o in self.warnings],
            "notes": list(self.notes),
            "rows": {suite: dict(counts) for suite, counts in self.rows.items()},
            "results_path": str(self.results_path) if self.results_path else None,
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
        }


class DataQualityGateFailed(RuntimeError):
    """A critical expectation failed; the message names suite, expectation, column and observation."""

    def __init__(self, result: GateResult):
        super().__init__(result.failure_message())
        self.result = result


def outcomes_from_validation(suite_name: str, validation_result: Any) -> list[ExpectationOutcome]:
    """One outcome per expectation of a GX `ExpectationSuiteValidationResult`."""
    outcomes = []
    for item in validation_result.results:
        config = item.expectation_config
        kwargs = dict(config.kwargs)
        meta = dict(config.meta or {})
        outcomes.append(
            ExpectationOutcome(
                suite=suite_name,
                expectation=config.type,
                column=column_of(kwargs),
                severity=severity_of(meta),
                success=bool(item.success),
                observed_value=summarise_observation(
                    config.type, kwargs, meta, item.result or {}, item.exception_info, bool(item.success)
                ),
                details={"kwargs": _jsonable(kwargs), "meta": _jsonable(meta)},
            )
        )
    return outcomes


def column_of(kwargs: dict[str, Any]) -> str | None:
    """The column(s) an expectation is about, comma-joined for multi-column expectations."""
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ",".join(map(str, kwargs["column_list"]))
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs.get('column_B')}"
    return None


def summarise_observation(
    expectation: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any],
    result: dict[str, Any],
    exception_info: Any,
    success: bool,
) -> str:
    """Human-readable observed value: unexpected share and count, or the observed aggregate."""
    error = _exception_message(exception_info)
    if error:
        return f"error: {error}"
    if "unexpected_count" in result and result.get("element_count") is not None:
        total = int(result["element_count"]) - int(result.get("missing_count") or 0)
        count = int(result.get("unexpected_count") or 0)  # GX reports None for an empty batch
        share = 100.0 * count / total if total else 0.0
        text = f"{share:.1f}% unexpected (observed {count} of {total})"
        examples = result.get("partial_unexpected_list") or []
        if examples:
            text += f", e.g. {', '.join(_short(v) for v in examples[:3])}"
        return text
    if "observed_value" in result:
        text = f"observed {_short(result['observed_value'])}"
        if "min_value" in kwargs or "max_value" in kwargs:
            text += f", expected {_short(kwargs.get('min_value'))}..{_short(kwargs.get('max_value'))}"
        if "baseline_mean_rows" in meta:
            text += f" (trailing mean {meta['baseline_mean_rows']} over {len(meta.get('baseline_days', []))} days)"
        return text
    if expectation == "expect_column_to_exist":
        return "column present" if success else "column missing"
    return "no result (is the column missing?)"


def _exception_message(exception_info: Any) -> str | None:
    if not exception_info:
        return None
    infos = [exception_info]
    if isinstance(exception_info, dict) and "raised_exception" not in exception_info:
        infos = list(exception_info.values())
    for info in infos:
        info = info.to_json_dict() if hasattr(info, "to_json_dict") else info
        if isinstance(info, dict) and info.get("raised_exception") and info.get("exception_message"):
            return str(info["exception_message"]).splitlines()[0][:300]
    return None


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
