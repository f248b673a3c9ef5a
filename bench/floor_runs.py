"""Which DuckDB floors (`bench.floors`) a benchmark run gets, each run in its own interpreter.

Floors run once the nightly phase is over, on what its stages read: the landing drops of both
dates, the silver partitions (a date's, or every one up to it), and the warehouse. The
warehouse then holds the nightly state only, so the floors of the stages that read it (marts
gate, scoring, churn + lifetime value) are measured for the last platform phase alone.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bench.baselines import json_lines, run_measured
from bench.floors import FLOOR_PREFIX
from bench.monitor import Stage, StageRecorder
from bench.stage_ratios import FLOOR_PHASE, PLATFORM_PHASES
from cdp.pipeline import FEATURES_TABLE
from customer_platform.registry import Registry, SourceContract

_OK = {"ok", "reused", "success"}
#: Entities whose silver feeds the dbt floor: order lines and the customer records they key to.
ORDER_ENTITIES = ("order_line", "order")
CUSTOMER_ENTITY = "customer_record"
#: Scoring stages that read the feature table, and how many scores each writes per customer.
SCORING_STAGES = {"scoring + write-back": 1, "churn + lifetime value": 2}


@dataclass(frozen=True)
class FloorPlan:
    """One floor to run: the platform stage and phase it stands beside, its kind and its spec."""

    stage: str
    phase: str
    kind: str
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The floor's stage name, e.g. `duckdb floor: ingest web_orders (nightly)`."""
        return f"{FLOOR_PREFIX}{self.stage} ({self.phase})"


def drop_files(contract: SourceContract, landing_dir: Path, day: str) -> list[str]:
    """The data files of a source's drop of `day`, as the ingestion lists them (no hidden, empty or odd files)."""
    folder = landing_dir / contract.name / day
    if not folder.is_dir():
        return []
    return sorted(
        str(path)
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith((".", "_"))
        and path.name.lower().endswith(contract.suffixes)
        and path.stat().st_size > 0
    )


def silver_partitions(table_dir: Path, day: str, up_to: bool = False) -> list[str]:
    """The table's `ingest_date=` folders holding Parquet: of `day`, or of every date up to it."""
    chosen = []
    for folder in sorted(table_dir.glob("ingest_date=*")):
        stamp = folder.name.split("=", 1)[1]
        if (stamp <= day if up_to else stamp == day) and any(folder.glob("*.parquet")):
            chosen.append(str(folder))
    return chosen


def _identifiers(contract: SourceContract) -> list[dict[str, str]]:
    return [{"column": i.column, "key_space": i.key_space} for i in contract.identifiers if i.is_key]


def _warehouse_spec(registry: Registry, silver_dir: Path, day: str) -> dict[str, Any] | None:
    orders = [
        {
            "partitions": silver_partitions(silver_dir / c.silver_table, day, up_to=True),
            "order_id": c.measures["order_id"],
            "ordered_at": c.measures["ordered_at"],
            "amount": c.measures["line_amount"],
            "identifiers": _identifiers(c),
        }
        for entity in ORDER_ENTITIES
        for c in registry.sources(entity)
        if {"order_id", "ordered_at", "line_amount"} <= set(c.measures) and _identifiers(c)
    ]
    customers = [
        {
            "partitions": silver_partitions(silver_dir / c.silver_table, day, up_to=True),
            "record_id": c.record_id,
            "identifiers": _identifiers(c),
        }
        for c in registry.sources(CUSTOMER_ENTITY)
        if c.record_id
    ]
    orders = [o for o in orders if o["partitions"]]
    return {"orders": orders, "customers": [c for c in customers if c["partitions"]]} if orders else None


def marts_tables(suites=None) -> list[dict[str, Any]]:
    """The tables the marts gate validates; the distinct key is the suite's (on its first table).

    suites: modules with `TABLES` (and optionally `KEY`); default the gate's catalogue.
    """
    if suites is None:
        # Imported here: the suites load Great Expectations (seconds), which only this list needs.
        from expectations.suites.catalog import MARTS_SUITES as suites
    chosen: dict[str, list[str]] = {}
    for module in suites:
        key = getattr(module, "KEY", None)
        for position, table in enumerate(module.TABLES):
            # A table checked by two suites keeps the key of the suite it belongs to.
            chosen[f"marts.{table}"] = chosen.get(f"marts.{table}") or (
                [key] if key and position == 0 else []
            )
    return [{"name": name, "key": key} for name, key in chosen.items()]


def plan_floors(
    stages: list[dict[str, Any]], settings, registry: Registry, dates: dict[str, str]
) -> list[FloorPlan]:
    """The floors of the platform stages that ran (ok) and whose inputs still exist.

    dates: platform phase -> its logical date (initial, nightly).
    """
    ran = {(s["phase"], s["name"]) for s in stages if s["status"] in _OK}
    phases = [p for p in PLATFORM_PHASES if p in dates and any(phase == p for phase, _ in ran)]
    plans: list[FloorPlan] = []
    for phase in phases:
        day = dates[phase]
        for contract in registry.sources():
            files = drop_files(contract, settings.landing_dir, day)
            if (phase, f"ingest {contract.name}") in ran and files:
                spec = {"files": files, "file_format": contract.format, "delimiter": contract.delimiter}
                plans.append(FloorPlan(f"ingest {contract.name}", phase, "ingest", spec))
        tables = [
            {"name": c.silver_table, "partitions": parts, "key": list(c.natural_key)}
            for c in registry.sources()
            if (parts := silver_partitions(settings.silver_dir / c.silver_table, day))
        ]
        if (phase, "silver gate") in ran and tables:
            plans.append(FloorPlan("silver gate", phase, "silver_gate", {"tables": tables}))
        warehouse = _warehouse_spec(registry, settings.silver_dir, day)
        if (phase, "dbt build") in ran and warehouse:
            plans.append(FloorPlan("dbt build", phase, "warehouse", warehouse))
    if phases and settings.warehouse_path.exists():
        from expectations.suites.marts.customer_features import KEY as FEATURES_KEY

        last, path = phases[-1], str(settings.warehouse_path)
        if (last, "marts gate") in ran:
            plans.append(
                FloorPlan("marts gate", last, "marts_gate", {"warehouse": path, "tables": marts_tables()})
            )
        for stage, outputs in SCORING_STAGES.items():
            if (last, stage) in ran:
                spec = {"warehouse": path, "table": FEATURES_TABLE, "key": FEATURES_KEY, "outputs": outputs}
                plans.append(FloorPlan(stage, last, "scoring", spec))
    return plans


def run_floor(plan: FloorPlan, timeout: float, scratch: Path) -> Stage:
    """Run one floor in its own interpreter (outputs in a scratch folder, removed after); its Stage."""
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duckdb-floor-", dir=scratch) as folder:
        outputs = {"ingest": {"out_dir": folder}, "warehouse": {"out_path": f"{folder}/floor.duckdb"}}
        outputs["scoring"] = outputs["warehouse"]
        spec = {**plan.spec, **outputs.get(plan.kind, {})}
        run = run_measured(
            [sys.executable, "-m", "bench.floors", plan.kind, json.dumps(spec)], timeout=timeout
        )
    status = "ok" if run.returncode == 0 else ("timeout" if run.timed_out else "failed")
    figures = (json_lines(run.stdout) or [{}])[-1]
    return Stage(
        name=plan.name,
        phase=FLOOR_PHASE,
        seconds=run.seconds,
        peak_rss_mb=run.peak_rss_mb,
        rows_in=figures.get("rows_in"),
        rows_out=figures.get("rows_out"),
        status=status,
        note={"timeout": f"did not finish in {timeout:.0f} s", "failed": run.stderr[-300:]}.get(status, ""),
        detail={
            "of_stage": plan.stage,
            "of_phase": plan.phase,
            "kind": plan.kind,
            **{k: v for k, v in figures.items() if k not in {"rows_in", "rows_out", "seconds"}},
            "work_seconds": figures.get("seconds"),
        },
    )


def measure_floors(
    recorder: StageRecorder, settings, registry: Registry, dates: dict[str, str], timeout: float
) -> int:
    """Plan and run every floor of the recorded stages (earlier floors are replaced); returns how many ran."""
    plans = plan_floors([s.to_dict() for s in recorder.stages], settings, registry, dates)
    recorder.stages[:] = [s for s in recorder.stages if s.phase != FLOOR_PHASE]
    scratch = settings.data_dir / "bench_floors"
    for plan in plans:
        recorder.add(run_floor(plan, timeout, scratch))
    if scratch.exists() and not any(scratch.iterdir()):
        scratch.rmdir()
    return len(plans)


def restore_stages(
    recorder: StageRecorder, stages: list[dict[str, Any]], phases: set[str] | None = None
) -> None:
    """Put stages of a saved result back into `recorder` (those of `phases`, or all)."""
    known = {f.name for f in fields(Stage)}
    recorder.stages.extend(
        Stage(**{k: v for k, v in s.items() if k in known})
        for s in stages
        if phases is None or s["phase"] in phases
    )
