"""Monitoring: input drift against each champion's reference, segment shifts and stability, KPI anomalies.

One entry point, `monitoring.run.monitor_models(ds)`, writes `marts.model_monitoring` for a
logical date (contract: `monitoring.results`). The stage reads what the model families leave
behind (reference bins stored with each registered version, input profiles and segment history
in the warehouse) and imports the foundation only, never `models`.
"""
