"""Monitoring thresholds: defaults, environment overrides, one-line errors naming the variable."""

from __future__ import annotations

import pytest

from customer_platform.config import ENV_VARS, Settings
from customer_platform.monitoring_settings import MONITORING_ENV_VARS, MonitoringThresholds


def test_defaults_and_overrides(monkeypatch):
    for name in MONITORING_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().monitoring == MonitoringThresholds()
    assert (MonitoringThresholds().psi_warning, MonitoringThresholds().psi_critical) == (0.1, 0.25)
    assert set(MONITORING_ENV_VARS) <= set(ENV_VARS), "config lists every variable it reads"
    monkeypatch.setenv("CDP_PSI_CRITICAL", "0.3")
    monkeypatch.setenv("CDP_KPI_MIN_HISTORY", "10")
    monitoring = Settings.from_env().monitoring
    assert monitoring.psi_critical == 0.3 and monitoring.kpi_min_history == 10
    assert "psi 0.1/0.3" in Settings.from_env().describe()["monitoring"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CDP_PSI_WARNING": "lots"}, "CDP_PSI_WARNING='lots' is not a number"),
        ({"CDP_PSI_WARNING": "0"}, "CDP_PSI_WARNING must be positive"),
        ({"CDP_PSI_CRITICAL": "0.05"}, "CDP_PSI_CRITICAL must be above CDP_PSI_WARNING"),
        ({"CDP_SEGMENT_SHIFT_CRITICAL": "0.1"}, "CDP_SEGMENT_SHIFT_CRITICAL must be above"),
        ({"CDP_SEGMENT_SHARE_WARNING_PP": "-1"}, "CDP_SEGMENT_SHARE_WARNING_PP must be positive"),
        ({"CDP_STABILITY_ARI_WARNING": "1.5"}, "CDP_STABILITY_ARI_WARNING must be within 0..1"),
        ({"CDP_STABILITY_ARI_CRITICAL": "0.9"}, "CDP_STABILITY_ARI_CRITICAL must be within -1..1 and below"),
        ({"CDP_KPI_SIGMA": "1.5"}, "CDP_KPI_SIGMA must be above CDP_KPI_WARNING_SIGMA"),
        ({"CDP_KPI_MIN_HISTORY": "2"}, "CDP_KPI_MIN_HISTORY must be at least 3"),
        ({"CDP_KPI_MIN_HISTORY": "seven"}, "CDP_KPI_MIN_HISTORY='seven' is not an integer"),
        ({"CDP_KPI_WINDOW": "5"}, "CDP_KPI_WINDOW must be at least CDP_KPI_MIN_HISTORY"),
    ],
)
def test_bad_values_name_the_variable_in_one_line(monkeypatch, variables, message):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message) as raised:
        Settings.from_env()
    assert "\n" not in str(raised.value)
