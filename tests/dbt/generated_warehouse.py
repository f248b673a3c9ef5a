"""Warehouses built from a small generated dataset: landing files -> Spark -> dbt.

The generator runs with its defaults (messiness rates, archetype mix, seed) at a small size;
Spark ingests every day; then two warehouses are built over the same silver:

- `full`: one `dbt build --full-refresh` at the last day (dbt tests included);
- `incremental`: `dbt run` for each day in turn, a re-run of the last day, a backfill of the
  first day, then (after re-delivering one silver partition and deleting another) a run of
  the last day, then the identity models again with every profile re-linked
  (`identity_full_rebuild`), with a copy of the file after each step.

Each dbt invocation re-parses the project (the logical date is a var), so the steps are few.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

CUSTOMERS = 300
START = date(2026, 6, 1)
DAYS = 2  # the first drop also carries a year of order history
LOGICAL_DATE = START + timedelta(days=DAYS - 1)
#: The incremental warehouse is built for each of these dates in turn.
FORWARD_DATES = [START + timedelta(days=i) for i in range(DAYS)]
#: The silver partition re-delivered with one web order cancelled (the re-ingest step).
CORRECTED_DATE = START
#: The last day's email-event partition is deleted from silver in the same step.
WITHDRAWN_DATE = LOGICAL_DATE
BASE_MODEL = "base_web_orders__deliveries"


@dataclass
class GeneratedWarehouses:
    root: Path
    landing_dir: Path
    lakehouse_dir: Path
    full_path: Path  # warehouse of the full refresh at LOGICAL_DATE
    full_run_results: dict
    snapshots: dict[str, Path] = field(default_factory=dict)  # incremental warehouse per step
    base_model_sql: dict[str, str] = field(default_factory=dict)  # compiled delivery model per step
    corrected_order_id: str = ""

    @property
    def truth_dir(self) -> Path:
        return self.landing_dir / "_truth"


def _settings_for(root: Path, name: str, patch: pytest.MonkeyPatch):
    """Settings of one warehouse under root/name, sharing root's landing and lakehouse."""
    from customer_platform.config import reload_settings

    patch.setenv("CDP_DATA_DIR", str(root / name))
    patch.setenv("CDP_LANDING_DIR", str(root / "landing"))
    patch.setenv("CDP_LAKEHOUSE_DIR", str(root / "lakehouse"))
    # Tiny daily drops: one malformed line can be a tenth of a day; keep every date.
    patch.setenv("CDP_MAX_QUARANTINE_RATE", "1.0")
    for name_ in ("CDP_WAREHOUSE_PATH", "CDP_LOGICAL_DATE", "CDP_RFM_WINDOW_DAYS", "DBT_PROFILES_DIR"):
        patch.delenv(name_, raising=False)
    return reload_settings()


def restricted_beside(warehouse: Path) -> Path:
    """The restricted database of a snapshot (`<name>.restricted.duckdb`) or of a data dir's warehouse."""
    snapshot = warehouse.with_name(f"{warehouse.stem}.restricted.duckdb")
    return snapshot if snapshot.exists() else warehouse.parent.parent / "restricted" / "restricted.duckdb"


def _snapshot(settings, target: Path) -> Path:
    """Copy the (closed) warehouse file and its restricted database; a WAL is copied if left."""
    from customer_platform.warehouse import release_dbt_connections

    release_dbt_connections()
    target.parent.mkdir(parents=True, exist_ok=True)
    copies = ((settings.warehouse_path, target),
              (settings.restricted_path, target.with_name(f"{target.stem}.restricted.duckdb")))  # fmt: skip
    for source, copy in copies:
        shutil.copyfile(source, copy)
        wal = Path(f"{source}.wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{copy}.wal"))
    return target


def _compiled_base_model(settings) -> str:
    from customer_platform.dbt_registry import registry_dir

    generated = registry_dir(settings).relative_to(settings.dbt_project_dir)
    compiled = settings.data_dir / "dbt" / "target" / "compiled" / "customer_platform" / generated
    return (compiled / "staging" / "base" / f"{BASE_MODEL}.sql").read_text()


def _redeliver_one_order_as_cancelled(settings, ingest_date: date) -> str:
    """Rewrite one silver partition as a re-ingest would: one order now cancelled, new `_ingested_at`."""
    import duckdb

    partition = settings.silver_dir / "web_order_lines" / f"ingest_date={ingest_date.isoformat()}"
    rewritten = partition.with_name(partition.name + ".rewrite")
    con = duckdb.connect()
    try:
        source = str(partition / "*.parquet")
        order_id = con.execute(
            "select min(order_id) from read_parquet(?, hive_partitioning = false) where order_status = 'completed'",
            [source],
        ).fetchone()[0]
        rewritten.mkdir()
        con.execute(
            f"""copy (
                select * replace (
                    case when order_id = $order then 'cancelled' else order_status end as order_status,
                    is_cancelled or order_id = $order as is_cancelled,
                    _ingested_at + interval 1 day as _ingested_at
                )
                from read_parquet('{source}', hive_partitioning = false)
            ) to '{rewritten / "part-0.parquet"}' (format parquet)""",
            {"order": order_id},
        )
    finally:
        con.close()
    shutil.rmtree(partition)
    rewritten.rename(partition)
    return order_id


def build_generated_warehouses(root: Path, spark) -> GeneratedWarehouses:
    """Generate, ingest and build both warehouses under root (see the module docstring)."""
    import json

    from customer_platform.config import reload_settings
    from customer_platform.warehouse import dbt_build, run_dbt
    from datagen.generator import SOURCES, generate
    from spark_jobs.ingest import ingest_dates

    dates = [d.isoformat() for d in FORWARD_DATES]
    with pytest.MonkeyPatch.context() as patch:
        settings = _settings_for(root, "full", patch)
        generate(settings.landing_dir, CUSTOMERS, START, LOGICAL_DATE)
        for source in SOURCES:
            ingest_dates(source, dates, run_id="generated", spark=spark)

        dbt_build(LOGICAL_DATE.isoformat(), full_refresh=True)
        run_results = json.loads((settings.data_dir / "dbt" / "target" / "run_results.json").read_text())
        built = GeneratedWarehouses(
            root, settings.landing_dir, settings.lakehouse_dir, settings.warehouse_path, run_results
        )

        settings = _settings_for(root, "incremental", patch)
        steps = [(f"forward:{d}", d) for d in dates]
        steps += [("rerun", dates[-1]), ("backfill", dates[0])]
        for label, day in steps:
            run_dbt(["run"], day)
            built.base_model_sql[label] = _compiled_base_model(settings)
            built.snapshots[label] = _snapshot(
                settings, root / "snapshots" / f"{label.replace(':', '_')}.duckdb"
            )
        built.corrected_order_id = _redeliver_one_order_as_cancelled(settings, CORRECTED_DATE)
        # A partition that disappears from silver (e.g. withdrawn by its source) must go too.
        shutil.rmtree(settings.silver_dir / "email_events" / f"ingest_date={WITHDRAWN_DATE.isoformat()}")
        run_dbt(["run"], dates[-1])
        built.base_model_sql["corrected"] = _compiled_base_model(settings)
        built.snapshots["corrected"] = _snapshot(settings, root / "snapshots" / "corrected.duckdb")
        # The same date again, every profile re-linked instead of only those changes reach.
        relink = ["run", "--select", "+customer_identity_map", "--vars", "{identity_full_rebuild: true}"]
        run_dbt(relink, dates[-1])
        built.snapshots["relinked"] = _snapshot(settings, root / "snapshots" / "relinked.duckdb")
        # The same silver rebuilt from scratch: what every incremental model must equal.
        run_dbt(["run", "--full-refresh"], dates[-1])
        built.snapshots["refreshed"] = _snapshot(settings, root / "snapshots" / "refreshed.duckdb")
    reload_settings()
    return built
