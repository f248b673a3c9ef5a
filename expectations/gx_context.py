"""The Great Expectations side of a gate: file context, dataframe batches, checkpoints, Data Docs.

The context is a file context under `settings.dq_dir/gx` (generated, not in git) so the
Data Docs site keeps every run's results; its site is redirected to `settings.data_docs_dir`.
Gates of several processes may share the folder, so a file lock serialises context use.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier
from great_expectations.exceptions import DataContextError

from customer_platform.config import Settings
from expectations.data_docs_offline import make_offline

log = logging.getLogger(__name__)

SITE_NAME = "cdp_data_docs"
DEFAULT_SITE = "local_site"
DATASOURCES = {"spark": "lakehouse_spark", "pandas": "pandas_frames"}
BATCH_DEFINITION = "whole_dataframe"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 3}
#: Index entries (newest first) kept on the Data Docs front page.
INDEX_RESULTS_LIMIT = 300


@dataclass
class ValidationTarget:
    """One suite and the dataframe it validates (`engine` is "spark" or "pandas").

    adjust: rewrites the validation result in place before it is stored again and read (the
    incremental marts gate reports a touched-rows validation over the whole table).
    """

    suite: gx.ExpectationSuite
    frame: Any
    engine: str
    asset_name: str
    adjust: Callable[[Any], None] | None = None

    @property
    def suite_name(self) -> str:
        return self.suite.name

    def release(self) -> None:
        """Free a cached Spark frame once validated."""
        if self.engine == "spark" and hasattr(self.frame, "unpersist"):
            self.frame.unpersist()


@contextmanager
def open_context(settings: Settings) -> Iterator[Any]:
    """Yield the project's GX file context, holding an exclusive lock on it meanwhile."""
    settings.dq_dir.mkdir(parents=True, exist_ok=True)
    with (settings.dq_dir / ".gx.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            context = gx.get_context(mode="file", project_root_dir=str(settings.dq_dir))
            _configure(context, settings.data_docs_dir)
            yield context
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _configure(context: Any, data_docs_dir: Path) -> None:
    site_config = {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs_dir)},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": INDEX_RESULTS_LIMIT,
        },
    }
    sites = context.list_data_docs_sites()
    if SITE_NAME not in sites:
        context.add_data_docs_site(SITE_NAME, site_config)
    elif sites[SITE_NAME] != site_config:
        context.update_data_docs_site(SITE_NAME, site_config)
    if DEFAULT_SITE in context.list_data_docs_sites():
        context.delete_data_docs_site(DEFAULT_SITE)
    current = context.variables.progress_bars
    enabled = (
        current.get("globally", True) if isinstance(current, dict) else getattr(current, "globally", True)
    )
    if current is None or enabled:
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()


def run_identifier(gate: str, logical_date: str, run_id: str) -> RunIdentifier:
    """GX run id: the name ties a result to gate, date and pipeline run."""
    return RunIdentifier(run_name=f"{gate}__{logical_date}__{run_id}", run_time=datetime.now(UTC))


def validate_target(context: Any, target: ValidationTarget, run_id: RunIdentifier) -> tuple[Any, Any]:
    """Save the suite, reuse or add its validation definition and checkpoint, run it on the frame.

    Returns (ValidationResultIdentifier, ExpectationSuiteValidationResult).
    """
    suite = _save_suite(context, target.suite)
    batch_definition = _batch_definition(context, target.engine, target.asset_name)
    definition = _reuse_or_add(
        context.validation_definitions,
        suite.name,
        lambda: gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=suite),
        lambda existing: existing.data.id == batch_definition.id and existing.suite.id == suite.id,
    )
    checkpoint = _reuse_or_add(
        context.checkpoints,
        suite.name,
        lambda: gx.Checkpoint(
            name=suite.name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT
        ),
        lambda existing: (
            existing.result_format == RESULT_FORMAT
            and [d.id for d in existing.validation_definitions] == [definition.id]
        ),
    )
    started = time.monotonic()
    result = checkpoint.run(batch_parameters={"dataframe": target.frame}, run_id=run_id)
    ((identifier, validation_result),) = result.run_results.items()
    statistics = validation_result.statistics
    log.info(
        "validated %s: %s expectations, %s unsuccessful (%.0f s)", suite.name,
        statistics.get("evaluated_expectations"), statistics.get("unsuccessful_expectations"),
        time.monotonic() - started,
    )  # fmt: skip
    return identifier, validation_result


def _reuse_or_add(factory: Any, name: str, build: Any, still_valid: Any) -> Any:
    """The stored object when it still matches (`still_valid`), else a freshly added one.

    Suites keep their id when replaced, so stored validation definitions and checkpoints stay
    valid across runs; GX's add_or_update would re-save (and re-compare) the suite each time.
    """
    try:
        existing = factory.get(name)
    except DataContextError:
        return factory.add(build())
    if still_valid(existing):
        return existing
    factory.delete(name)
    return factory.add(build())


def _save_suite(context: Any, suite: gx.ExpectationSuite) -> gx.ExpectationSuite:
    """Add or replace the suite by name: `suites.add_or_update` without its quadratic matching.

    GX's add_or_update compares every new expectation with every stored one to keep ids
    stable (seconds for the ~90-expectation features suite); our suites are rebuilt from code
    each run, so the stored one is simply replaced under the same suite id.
    """
    try:
        existing = context.suites.get(name=suite.name)
    except DataContextError:
        return context.suites.add(suite)
    suite.id = existing.id
    store = context.expectations_store
    store.update(key=store.get_key(name=suite.name, id=suite.id), value=suite)
    return context.suites.get(name=suite.name)


def _batch_definition(context: Any, engine: str, asset_name: str) -> Any:
    if engine not in DATASOURCES:
        raise ValueError(f"engine must be one of {sorted(DATASOURCES)}, got {engine!r}")
    name = DATASOURCES[engine]
    try:
        datasource = context.data_sources.get(name)
    except (KeyError, ValueError, LookupError):
        add = context.data_sources.add_spark if engine == "spark" else context.data_sources.add_pandas
        datasource = add(name)
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def build_data_docs(
    context: Any, result_identifiers: list[Any], suite_names: list[str], docs_dir: Path
) -> Path:
    """Render this run's results and suites (incrementally) plus the index; return index.html.

    The pages written are then made to work offline (`expectations.data_docs_offline`).
    """
    resources = list(result_identifiers) + [ExpectationSuiteIdentifier(name=n) for n in suite_names]
    started = time.time() - 1  # a margin for coarse file timestamps
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=resources)
    make_offline(docs_dir, since=started)
    return docs_dir / "index.html"
