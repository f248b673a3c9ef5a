"""Run summary: rows per layer, data-quality warnings, segments, predictions, and where to look next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdp.activation_summary import activation_summary, format_activation
from cdp.airflow_ui import DEFAULT_PORT as AIRFLOW_UI_PORT
from cdp.delivery_summary import format_deliveries
from cdp.monitoring_summary import format_monitoring, monitoring_summary
from customer_platform.config import Settings, get_settings
from customer_platform.partitions import recover_lake
from customer_platform.registry import get_registry
from customer_platform.warehouse import dbt_target_dir
from dashboard import DEFAULT_PORT

MART_TABLES = (
    "customer_identity_map",
    "dim_customers",
    "fct_orders",
    "customer_rfm",
    "customer_engagement",
    "customer_features",
    "customer_lifecycle",
    "customer_segments",
    "segment_history",
    "customer_predictions",
    "customer_prediction_drivers",
    "model_monitoring",
)


def _layer_tables(settings: Settings) -> dict[str, dict[str, Path]]:
    """Per layer, the table folders of the active sources (bronze and quarantine by source, silver by table)."""
    registry = get_registry(settings)
    return {
        settings.bronze_dir.name: {source: settings.bronze_dir / source for source in registry.active},
        settings.quarantine_dir.name: {
            source: settings.quarantine_dir / source for source in registry.active
        },
        settings.silver_dir.name: {
            table: settings.silver_dir / table for table in registry.silver_tables.values()
        },
    }


def _layer_counts(settings: Settings, ds: str | None) -> dict[str, dict[str, dict[str, int]]]:
    """Rows per table of the active sources in bronze, quarantine and silver: all dates and the logical date."""
    import duckdb

    recover_lake(settings)  # counts of a lake a killed run left mid-publish would show a missing date
    counts: dict[str, dict[str, dict[str, int]]] = {}
    con = duckdb.connect()
    try:
        for layer_name, tables in _layer_tables(settings).items():
            layer: dict[str, dict[str, int]] = {}
            for table, table_dir in tables.items():
                if not any(table_dir.glob("ingest_date=*/*.parquet")):
                    layer[table] = {"total": 0, "date": 0}
                    continue
                glob = str(table_dir / "ingest_date=*" / "*.parquet")
                total, on_date = con.execute(
                    "select count(*), count(*) filter (where cast(ingest_date as varchar) = ?) "
                    "from read_parquet(?, hive_partitioning = true, union_by_name = true)",
                    [ds or "", glob],
                ).fetchone()
                layer[table] = {"total": int(total), "date": int(on_date)}
            counts[layer_name] = layer
    finally:
        con.close()
    return counts


def _warehouse(settings: Settings, ds: str | None) -> dict[str, Any]:
    import duckdb

    out: dict[str, Any] = {
        "tables": {}, "segments": [], "dq": {}, "predictions": None, "activation": None, "monitoring": None,
    }  # fmt: skip
    if not settings.warehouse_path.exists():
        return out
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        existing = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for table in MART_TABLES:
            if ("marts", table) in existing:
                out["tables"][f"marts.{table}"] = con.execute(
                    f"select count(*) from marts.{table}"
                ).fetchone()[0]  # noqa: S608 - fixed names
        if ("marts", "customer_segments") in existing:
            rows = con.execute(
                "select segment_id, segment_name, any_value(segment_description), count(*) as customers, "
                "any_value(model_version), any_value(mlflow_run_id), any_value(segment_kind) "
                "from marts.customer_segments group by segment_id, segment_name "
                "order by any_value(segment_kind) = 'lifecycle', customers desc"
            ).fetchall()
            out["segments"] = [
                {
                    "segment_id": r[0],
                    "segment_name": r[1],
                    "description": r[2],
                    "customers": int(r[3]),
                    "model_version": r[4],
                    "mlflow_run_id": r[5],
                    "kind": r[6],
                }
                for r in rows
            ]
        if ("marts", "customer_predictions") in existing:
            out["predictions"] = _predictions(con)
        out["activation"] = activation_summary(con, existing, settings)
        out["monitoring"] = monitoring_summary(con, existing, ds)
        if ("marts", "dq_results") in existing and ds:
            rows = con.execute(
                "select gate, severity, success, count(*) from marts.dq_results "
                "where cast(logical_date as varchar) = ? group by all order by all",
                [ds],
            ).fetchall()
            for gate, severity, success, n in rows:
                key = f"{gate}.{severity}.{'passed' if success else 'failed'}"
                out["dq"][key] = int(n)
    finally:
        con.close()
    return out


def _predictions(con: Any) -> dict[str, Any]:
    row = con.execute(
        "select any_value(logical_date), count(*), count(*) filter (where is_at_risk), avg(churn_probability), "
        "sum(predicted_clv_12m), any_value(churn_model_version), any_value(clv_model_version) "
        "from marts.customer_predictions"
    ).fetchone()
    tiers = con.execute(
        "select value_tier, count(*), sum(p.predicted_clv_12m) from marts.customer_predictive_segments s "
        "inner join marts.customer_predictions p using (unified_customer_id) group by 1 order by 3 desc"
    ).fetchall()
    return {
        "logical_date": str(row[0]),
        "customers": int(row[1]),
        "at_risk": int(row[2] or 0),
        "mean_churn_probability": row[3],
        "predicted_clv_12m": row[4],
        "churn_model_version": row[5],
        "clv_model_version": row[6],
        "value_tiers": [{"tier": t, "customers": int(n), "predicted_clv_12m": v} for t, n, v in tiers],
    }


def _manifests(settings: Settings, ds: str | None) -> dict[str, Any]:
    """The ingestion manifest of every active source for the date (scalars, warnings and anomalies)."""
    out: dict[str, Any] = {}
    if not ds:
        return out
    for source in get_registry(settings).active:
        path = settings.manifest_path(source, ds)
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            out[source] = {
                k: v
                for k, v in data.items()
                if isinstance(v, (int, float, str)) or k in ("warnings", "anomalies")
            }
    return out


def next_steps(settings: Settings) -> dict[str, str]:
    """Where an analyst, data scientist or engineer looks next."""
    return {
        "warehouse": str(settings.warehouse_path),
        "query": (
            '.venv/bin/cdp query "select segment_name, count(*) as customers '
            'from marts.customer_segments group by 1 order by 2 desc"'
        ),
        "mlflow_ui": f".venv/bin/mlflow ui --backend-store-uri {settings.mlflow_tracking_uri} --port 5000",
        "airflow_ui": f".venv/bin/cdp ui, then open http://127.0.0.1:{AIRFLOW_UI_PORT}/ (it prints the login)",
        "data_docs": f"{settings.data_docs_dir / 'index.html'} (Great Expectations Data Docs, open offline)",
        "dbt_docs": f"{dbt_target_dir(settings) / 'static_index.html'} (data dictionary and lineage)",
        "exports": str(settings.exports_dir),
        "campaign_report": str(settings.reports_dir / "campaigns"),
        "run_summaries": str(settings.run_summaries_dir),
        "dashboard": f".venv/bin/cdp dashboard, then open http://127.0.0.1:{DEFAULT_PORT}/",
    }


def collect_summary(ds: str | None, run_id: str | None = None) -> dict[str, Any]:
    """Everything the end-of-run summary shows, as a JSON-serialisable dict."""
    settings = get_settings()
    warehouse = _warehouse(settings, ds)
    return {
        "logical_date": ds,
        "run_id": run_id,
        "lakehouse": _layer_counts(settings, ds),
        "manifests": _manifests(settings, ds),
        "warehouse": warehouse["tables"],
        "data_quality": warehouse["dq"],
        "segments": warehouse["segments"],
        "predictions": warehouse["predictions"],
        "activation": warehouse["activation"],
        "monitoring": warehouse["monitoring"],
        "next": next_steps(settings),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """Human-readable summary for the terminal."""
    lines = [f"Customer platform — run summary for {summary.get('logical_date')}", ""]
    lines.append("Lakehouse rows (all dates / this date):")
    for layer, tables in summary["lakehouse"].items():
        for table, n in tables.items():
            lines.append(f"  {layer:<11} {table:<18} {n['total']:>10,} / {n['date']:>8,}")
    lines.append("")
    lines.append("Warehouse tables:")
    for table, n in summary["warehouse"].items():
        lines.append(f"  {table:<32} {n:>10,}")
    if summary.get("data_quality"):
        lines.append("")
        lines.append("Data-quality expectations:")
        for key, n in summary["data_quality"].items():
            lines.append(f"  {key:<32} {n:>6}")
    lines.append("")
    lines.extend(format_deliveries(summary.get("manifests") or {}))
    lines.append("")
    lines.append("Segments:")
    for seg in summary["segments"]:
        kind = seg.get("kind") or "ml"
        lines.append(
            f"  [{seg['segment_id']:>2}] {kind:<9} {seg['segment_name']:<28} {seg['customers']:>7,}  "
            f"{seg['description'] or ''}"
        )
    if summary["segments"]:
        first = summary["segments"][0]
        lines.append(f"  model version {first['model_version']}, MLflow run {first['mlflow_run_id']}")
    else:
        lines.append(
            "  none yet: no segmentation model has been trained (too few customers with features "
            "to segment; the segment_customers task's log gives the count)"
        )
    lines.append("")
    lines.extend(_format_predictions(summary.get("predictions")))
    lines.append("")
    lines.extend(format_activation(summary.get("activation")))
    lines.append("")
    lines.extend(format_monitoring(summary.get("monitoring")))
    lines.append("")
    lines.append("Where to look next:")
    for key, value in summary["next"].items():
        lines.append(f"  {key:<14} {value}")
    return "\n".join(lines)


def _format_predictions(predictions: dict[str, Any] | None) -> list[str]:
    lines = ["Predictions (churn risk and lifetime value):"]
    if not predictions:
        return lines + [
            "  none yet: churn and lifetime value train once the order history covers two churn "
            "horizons (CDP_CHURN_HORIZON_DAYS); the predict_customers task's log says why"
        ]
    n = max(predictions["customers"], 1)
    lines.append(
        f"  {predictions['customers']:,} buyers scored for {predictions['logical_date']}: "
        f"{predictions['at_risk']:,} At-Risk ({predictions['at_risk'] / n:.0%}), "
        f"mean churn probability {predictions['mean_churn_probability']:.2f}, "
        f"predicted 12-month value {predictions['predicted_clv_12m']:,.0f}"
    )
    for tier in predictions["value_tiers"]:
        lines.append(
            f"  {tier['tier']:<12} {tier['customers']:>7,} customers  {tier['predicted_clv_12m']:>14,.0f}"
        )
    lines.append(
        f"  models: customer_churn v{predictions['churn_model_version']}, "
        f"customer_clv v{predictions['clv_model_version']}"
    )
    return lines


def load_summary(path: Path) -> dict[str, Any]:
    """Read a summary written by the DAG's summarise_run task."""
    return json.loads(path.read_text(encoding="utf-8"))
