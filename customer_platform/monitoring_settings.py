"""Thresholds of model and segment monitoring, read from the environment (`Settings.monitoring`).

`customer_platform.config.Settings.monitoring` holds one `MonitoringThresholds`;
`Settings.validate()` calls `MonitoringThresholds.validate()`, so a threshold out of range stops
the platform at start-up with one line naming the variable. Why the defaults:

- **Feature PSI** `CDP_PSI_WARNING` 0.1, `CDP_PSI_CRITICAL` 0.25: the industry convention since
  credit scoring (Siddiqi, *Credit Risk Scorecards*, 2006; Yurdakul, "Statistical properties of
  the population stability index", 2018): below 0.1 no significant change, 0.1 to 0.25 a
  moderate shift worth a look, above 0.25 a significant shift that calls for a new model. With
  deciles and a few thousand customers, sampling noise alone keeps PSI near 0.01 to 0.02.
- **Segment size shift** `CDP_SEGMENT_SHIFT_WARNING` 0.1, `CDP_SEGMENT_SHIFT_CRITICAL` 0.25: the
  same PSI, over the share of customers per segment tonight against the previous run, so the
  same reading applies (segments are the bins).
- **Segment share change** `CDP_SEGMENT_SHARE_WARNING_PP` 5, `CDP_SEGMENT_SHARE_CRITICAL_PP` 10
  percentage points in one night: a segment that gains or loses a twentieth of the customer base
  overnight changes every audience built on it; nightly movement is normally well under a point.
- **Segmentation stability** `CDP_STABILITY_ARI_WARNING` 0.8, `CDP_STABILITY_ARI_CRITICAL` 0.5
  (adjusted Rand index of tonight's assignments against the previous run, lower is worse):
  0.8 is the usual "highly stable" reading of the ARI, and 0.5 is the floor a retrained model
  must keep against the champion to be promoted (`models/segmentation/promotion_rule.py`).
- **KPI control chart** `CDP_KPI_WARNING_SIGMA` 2, `CDP_KPI_SIGMA` 3 over the last
  `CDP_KPI_WINDOW` 28 runs, needing `CDP_KPI_MIN_HISTORY` 7: Shewhart's warning (2 sigma) and
  action (3 sigma) limits; 7 points are the fewest that give a usable standard deviation and
  cover every weekday once, 28 keep four weeks so a weekly rhythm does not look like an anomaly.
"""

from __future__ import annotations

from dataclasses import dataclass

from customer_platform.env_values import env_float, env_int

#: Environment variables read here (config.ENV_VARS lists them too).
MONITORING_ENV_VARS: tuple[str, ...] = (
    "CDP_PSI_WARNING", "CDP_PSI_CRITICAL", "CDP_SEGMENT_SHIFT_WARNING", "CDP_SEGMENT_SHIFT_CRITICAL",
    "CDP_SEGMENT_SHARE_WARNING_PP", "CDP_SEGMENT_SHARE_CRITICAL_PP", "CDP_STABILITY_ARI_WARNING",
    "CDP_STABILITY_ARI_CRITICAL", "CDP_KPI_WARNING_SIGMA", "CDP_KPI_SIGMA", "CDP_KPI_WINDOW",
    "CDP_KPI_MIN_HISTORY",
)  # fmt: skip


@dataclass(frozen=True)
class MonitoringThresholds:
    """Warning and critical thresholds per check (module doc for the defaults)."""

    psi_warning: float = 0.1
    psi_critical: float = 0.25
    segment_shift_warning: float = 0.1
    segment_shift_critical: float = 0.25
    segment_share_warning_pp: float = 5.0
    segment_share_critical_pp: float = 10.0
    stability_ari_warning: float = 0.8
    stability_ari_critical: float = 0.5
    kpi_warning_sigma: float = 2.0
    kpi_sigma: float = 3.0
    kpi_window: int = 28
    kpi_min_history: int = 7

    @classmethod
    def from_env(cls) -> MonitoringThresholds:
        """Read the variables of `MONITORING_ENV_VARS` (not validated: `validate()` does that)."""
        d = cls()
        return cls(
            psi_warning=env_float("CDP_PSI_WARNING", d.psi_warning),
            psi_critical=env_float("CDP_PSI_CRITICAL", d.psi_critical),
            segment_shift_warning=env_float("CDP_SEGMENT_SHIFT_WARNING", d.segment_shift_warning),
            segment_shift_critical=env_float("CDP_SEGMENT_SHIFT_CRITICAL", d.segment_shift_critical),
            segment_share_warning_pp=env_float("CDP_SEGMENT_SHARE_WARNING_PP", d.segment_share_warning_pp),
            segment_share_critical_pp=env_float("CDP_SEGMENT_SHARE_CRITICAL_PP", d.segment_share_critical_pp),
            stability_ari_warning=env_float("CDP_STABILITY_ARI_WARNING", d.stability_ari_warning),
            stability_ari_critical=env_float("CDP_STABILITY_ARI_CRITICAL", d.stability_ari_critical),
            kpi_warning_sigma=env_float("CDP_KPI_WARNING_SIGMA", d.kpi_warning_sigma),
            kpi_sigma=env_float("CDP_KPI_SIGMA", d.kpi_sigma),
            kpi_window=env_int("CDP_KPI_WINDOW", d.kpi_window),
            kpi_min_history=env_int("CDP_KPI_MIN_HISTORY", d.kpi_min_history),
        )

    def validate(self) -> None:
        """Raise ValueError (one line, naming the variable) for a threshold out of range or order."""
        rising = (
            ("CDP_PSI_WARNING", self.psi_warning, "CDP_PSI_CRITICAL", self.psi_critical),
            ("CDP_SEGMENT_SHIFT_WARNING", self.segment_shift_warning,
             "CDP_SEGMENT_SHIFT_CRITICAL", self.segment_shift_critical),
            ("CDP_SEGMENT_SHARE_WARNING_PP", self.segment_share_warning_pp,
             "CDP_SEGMENT_SHARE_CRITICAL_PP", self.segment_share_critical_pp),
            ("CDP_KPI_WARNING_SIGMA", self.kpi_warning_sigma, "CDP_KPI_SIGMA", self.kpi_sigma),
        )  # fmt: skip
        for warning_name, warning, critical_name, critical in rising:
            if not warning > 0:
                raise ValueError(f"{warning_name} must be positive, got {warning}")
            if not critical > warning:
                raise ValueError(f"{critical_name} must be above {warning_name} ({warning}), got {critical}")
        if not 0.0 < self.stability_ari_warning <= 1.0:
            raise ValueError(
                f"CDP_STABILITY_ARI_WARNING must be within 0..1, got {self.stability_ari_warning}"
            )
        if not -1.0 <= self.stability_ari_critical < self.stability_ari_warning:
            raise ValueError(
                "CDP_STABILITY_ARI_CRITICAL must be within -1..1 and below CDP_STABILITY_ARI_WARNING "
                f"({self.stability_ari_warning}): a lower ARI is worse, got {self.stability_ari_critical}"
            )
        if self.kpi_min_history < 3:
            raise ValueError(f"CDP_KPI_MIN_HISTORY must be at least 3, got {self.kpi_min_history}")
        if self.kpi_window < self.kpi_min_history:
            raise ValueError(
                f"CDP_KPI_WINDOW must be at least CDP_KPI_MIN_HISTORY ({self.kpi_min_history}), got {self.kpi_window}"
            )

    def __str__(self) -> str:
        return (
            f"psi {self.psi_warning}/{self.psi_critical}; segment shift {self.segment_shift_warning}/"
            f"{self.segment_shift_critical}; share change {self.segment_share_warning_pp}/"
            f"{self.segment_share_critical_pp} pp; stability ARI {self.stability_ari_warning}/"
            f"{self.stability_ari_critical}; KPI {self.kpi_warning_sigma}/{self.kpi_sigma} sigma over "
            f"{self.kpi_window} runs (min {self.kpi_min_history})"
        )
