"""What a nightly stage is: its body, how Airflow runs it, and the Asset it may signal.

The ordered list of stages is `cdp.pipeline.NIGHTLY`; this module only defines their shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cdp import tasks
from customer_platform.registry import Registry, get_registry


@dataclass(frozen=True)
class Signal:
    """An Asset a follow-up task of a stage updates only when the stage's result sets `result_key`.

    The task (`task_id`) is skipped otherwise, and a skipped task emits no Asset event. The event's
    extra carries the logical date and `reasons_key` of the result, so the DAG it starts (whose
    runs have no logical date of their own) knows which date asked.
    """

    task_id: str
    uri: str
    result_key: str
    reasons_key: str
    doc: str

    def event_extra(self, ds: str, result: Any) -> dict[str, Any] | None:
        """The Asset event's extra when `result` asks for the signal, else None."""
        if not (isinstance(result, dict) and result.get(self.result_key)):
            return None
        return {"logical_date": ds, "reasons": list(result.get(self.reasons_key) or [])}

    def emit(self, ds: str, result: Any, outlet_events: Any) -> dict[str, Any]:
        """Body of the follow-up task (outlet: the Asset): set the event's extra, or skip the task when not asked.

        A skipped task emits no Asset event, so the listening DAG does not run.
        """
        from airflow.sdk import Asset
        from airflow.sdk.exceptions import AirflowSkipException

        extra = self.event_extra(ds, result)
        if extra is None:
            raise AirflowSkipException(f"{self.result_key} is not set: {self.uri} is not updated")
        outlet_events[Asset(self.uri)].extra = extra
        return extra


@dataclass(frozen=True)
class Stage:
    """One step of the nightly pipeline and how Airflow runs it.

    body: `(ds, run_id)`, or `(source, ds, run_id)` when `per_source`.
    dbt_project: in the DAG, rendered by Cosmos as one task per dbt node; elsewhere `body` runs one `dbt build`.
    writes_warehouse: opens the DuckDB warehouse for writing, so it takes the one-slot pool.
    outlets: warehouse tables the stage publishes; `silver_outlet`: a per-source stage publishes the source's silver table.
    retries: None keeps the DAG's default retries.
    signal: an Asset the stage's result may ask for (`Signal`), updated by a follow-up task.
    teardown: runs when everything before it is done, failed or not (an Airflow teardown task,
    which does not decide the run's state); in-process runs call it in a `finally`.
    """

    name: str
    label: str
    body: Callable[..., Any]
    doc: str
    per_source: bool = False
    dbt_project: bool = False
    writes_warehouse: bool = False
    outlets: tuple[str, ...] = ()
    silver_outlet: bool = False
    retries: int | None = None
    signal: Signal | None = None
    teardown: bool = False

    def task_id(self, source: str | None = None) -> str:
        """Task id inside the stage's group (per-source) or the stage's own task id."""
        return f"{self.name}_{source}" if self.per_source else self.name

    def label_for(self, source: str | None = None) -> str:
        """Human name of one run of the stage (`ingest <source>`, `dbt build`)."""
        return f"{self.label} {source}" if self.per_source else self.label

    def outlet_uris(self, source: str | None = None, registry: Registry | None = None) -> list[str]:
        """Asset URIs the stage (for `source`, when per source) publishes."""
        uris = [tasks.warehouse_asset_uri(table) for table in self.outlets]
        if self.silver_outlet and source is not None:
            uris.append(tasks.silver_asset_uri((registry or get_registry()).silver_tables[source]))
        return uris

    def run(self, ds: str, run_id: str, source: str | None = None) -> Any:
        """Call the stage body for one logical date (and source)."""
        if self.per_source:
            if source is None:
                raise ValueError(f"stage {self.name} runs per source: name the source")
            return self.body(source, ds, run_id)
        return self.body(ds, run_id)
