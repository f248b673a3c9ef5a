"""Shared vocabulary of the suites: severities, formats, thresholds and suite construction.

Importing this module does not import Great Expectations (results and runner stay cheap to
import, e.g. for the DAG or the CLI's argument errors); GX is loaded when a suite is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from customer_platform.volume_rule import VOLUME_RULE

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

#: Silver emails are lower-cased and trimmed; the domain needs at least one dot.
EMAIL_REGEX = r"^[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$"
#: E.164: a plus, a non-zero country digit, 7 to 15 digits in all.
E164_REGEX = r"^\+[1-9]\d{6,14}$"
SHA256_REGEX = r"^[0-9a-f]{64}$"
COUNTRY_CODE_REGEX = r"^[A-Z]{2}$"

LINEAGE_COLUMNS = ("_source_file", "_ingest_date", "_run_id", "_ingested_at")


@dataclass(frozen=True)
class GateThresholds:
    """Tunable limits of the gates (the quarantine limit comes from settings)."""

    #: Share of non-null values that must match a format for the critical check to pass.
    format_mostly: float = 0.95
    max_unit_price: float = 100_000.0
    max_abs_line_amount: float = 1_000_000.0
    #: Largest identity cluster (source records per unified customer) before we call it an over-merge.
    max_cluster_size: int = 50
    #: Source records (orders included) per unified customer before a warning.
    max_records_per_customer: int = 2_000
    # The volume rule is shared with ingestion's low-volume warning (customer_platform.volume_rule).
    history_days: int = VOLUME_RULE.history_days
    min_history_days: int = VOLUME_RULE.min_history_days
    volume_min_ratio: float = VOLUME_RULE.min_ratio
    volume_max_ratio: float = VOLUME_RULE.max_ratio
    #: Small feeds are noisy: the volume band is at least this many Poisson sigmas wide.
    volume_noise_sigmas: float = VOLUME_RULE.noise_sigmas
    #: Below this trailing mean (rows a day) the volume check is a warning, not critical.
    volume_min_baseline_rows: int = 100
    #: Null rate may rise this much (absolute) above its trailing mean before a warning.
    null_rate_tolerance: float = 0.10
    #: A mean may move this share of its trailing mean (either way) before a warning.
    mean_tolerance: float = 0.5
    #: A mart (a marts suite's frame) may not shrink below this share of its last validated rows.
    min_rows_ratio: float = 0.5

    def validate(self) -> None:
        """Raise ValueError naming the threshold that is out of range."""
        if not 0.0 < self.format_mostly <= 1.0:
            raise ValueError(f"format_mostly must be within (0, 1], got {self.format_mostly}")
        if self.max_cluster_size < 1:
            raise ValueError(f"max_cluster_size must be at least 1, got {self.max_cluster_size}")
        if not 0 < self.min_history_days <= self.history_days:
            raise ValueError("min_history_days must be within 1..history_days")
        if not 0.0 <= self.volume_min_ratio < 1.0 < self.volume_max_ratio:
            raise ValueError("volume ratios must satisfy 0 <= min < 1 < max")
        if not 0.0 <= self.min_rows_ratio <= 1.0:
            raise ValueError(f"min_rows_ratio must be within [0, 1], got {self.min_rows_ratio}")


def parse_logical_date(logical_date: str | date) -> date:
    """Return the logical date as a `date`; ValueError names the argument when malformed."""
    if isinstance(logical_date, datetime):
        return logical_date.date()
    if isinstance(logical_date, date):
        return logical_date
    try:
        return date.fromisoformat(str(logical_date).strip()[:10])
    except ValueError as exc:
        raise ValueError(f"logical_date must be YYYY-MM-DD, got {logical_date!r}") from exc


def future_cutoff(logical_date: date, tz_aware: bool = True) -> datetime:
    """Latest plausible timestamp for a run: the end of the logical day (logical date + 1 day), UTC.

    tz_aware: an aware UTC datetime (Spark timestamps, whatever the driver's local zone) or
    a naive one (pandas frames pulled from DuckDB as naive UTC timestamps).
    """
    cutoff = datetime.combine(logical_date + timedelta(days=1), time.min, tzinfo=UTC)
    return cutoff if tz_aware else cutoff.replace(tzinfo=None)


def critical(expectation_cls: type[Expectation], **kwargs: Any) -> Expectation:
    """Build an expectation whose failure stops the pipeline."""
    return _tagged(expectation_cls, CRITICAL, kwargs)


def warning(expectation_cls: type[Expectation], **kwargs: Any) -> Expectation:
    """Build an expectation whose failure is recorded and reported but does not stop the run."""
    return _tagged(expectation_cls, WARNING, kwargs)


def _tagged(expectation_cls: type[Expectation], severity: str, kwargs: dict[str, Any]) -> Expectation:
    meta = {"severity": severity, **(kwargs.pop("meta", None) or {})}
    return expectation_cls(meta=meta, **kwargs)


def severity_of(meta: dict[str, Any] | None) -> str:
    """Severity recorded on an expectation; untagged expectations count as critical."""
    value = str((meta or {}).get("severity", CRITICAL)).lower()
    return value if value in SEVERITIES else CRITICAL


def new_suite(name: str, expectations: list[Expectation], **meta: Any) -> gx.ExpectationSuite:
    """An ExpectationSuite named `name` holding `expectations` (not yet saved to a context)."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta={"owner": "expectations", **meta})
    if len(suite.expectations) != len(expectations):  # GX logs and drops invalid ones: fail loudly instead
        raise ValueError(
            f"suite {name}: {len(expectations) - len(suite.expectations)} invalid expectation(s)"
        )
    return suite
