"""The source registry as the dbt project sees it.

dbt reads the active sources in two ways, both derived here from the contracts:
- `CDP_DBT_REGISTRY`: a JSON list, one entry per active source (entity, silver table, keys,
  identifiers, measures, trust rank), read by the `cdp_sources()` macro at parse time, so the
  entity unions loop over it and `source()` calls register in the lineage;
- generated files under `dbt_project/registry/<key>/staging/` (`model-paths` includes that folder
  via `CDP_DBT_REGISTRY_DIR`): `_silver__sources.yml` declares each active silver table as a dbt
  source, and each active fact source (order lines, events, ...) gets a one-line incremental
  delivery model `base_<source>__deliveries` calling the `silver_deliveries` macro.
Nothing committed in `dbt_project/` names a source.

The folder is content-addressed (`<key>` hashes the generated files): deployments and tests with
different active sources never overwrite each other's files, and a folder is never rewritten.
It lives inside the dbt project because dbt writes compiled SQL to `target/compiled/<model
path>`: a model path outside the project would make it write beside (or over) the sources.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from customer_platform.config import Settings, get_settings
from customer_platform.feature_sources import absent_features
from customer_platform.registry import Registry, SourceContract, get_registry

SOURCES_FILE = "_silver__sources.yml"
#: dbt source name of every silver table.
DBT_SOURCE = "silver"
#: Append-mostly entities: staged through an incremental copy of silver (macros/incremental.sql).
DELIVERY_ENTITIES = ("order", "order_line", "payment", "web_event", "email_event")
#: Generated folders, relative to the dbt project (ignored by git).
GENERATED_ROOT = "registry"
_GENERATED = "-- Generated from the source registry (customer_platform.dbt_registry); do not edit.\n"


def registry_key(files: dict[str, str]) -> str:
    """Content address of a set of generated files."""
    digest = hashlib.sha1(json.dumps(files, sort_keys=True).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()[:12]


def source_spec(contract: SourceContract) -> dict[str, Any]:
    """What the dbt macros need to know about one source."""
    return {
        "name": contract.name,
        "entity": contract.entity,
        "table": contract.silver_table,
        "natural_key": list(contract.dedup_key),
        "latest_by": contract.latest_by,
        "record_id": contract.record_id,
        "trust_rank": contract.trust_rank,
        "channel": contract.channel or contract.name,
        "relation": f"base_{contract.name}__deliveries" if contract.entity in DELIVERY_ENTITIES else None,
        "identifiers": [
            {
                "column": i.column,
                "type": i.type,
                "match": i.match,
                "key_space": i.key_space,
                "per_record": i.per_record,
                "form": i.form,
                "hashes": contract.hash_columns(i.column),
            }
            for i in contract.identifiers
        ],
        "measures": dict(contract.measures),
        "relations": dict(contract.relations),
        "columns": list(contract.silver_names),
    }


def registry_spec(registry: Registry) -> list[dict[str, Any]]:
    """Every active source's spec, in registry order."""
    return [source_spec(c) for c in registry.sources()]


def sources_yaml(registry: Registry, lakehouse_env: str = "CDP_LAKEHOUSE_DIR") -> dict[str, Any]:
    """The dbt sources file: one external (silver Parquet) table per active source."""
    location = (
        "read_parquet('{{ env_var('" + lakehouse_env + "') }}/silver/{identifier}/ingest_date=*/*.parquet', "
        "hive_partitioning=true, union_by_name=true)"
    )
    tables = [
        {
            "name": c.silver_table,
            "description": f"{c.description} (source `{c.name}`, entity `{c.entity}`; contract {c.path.name if c.path else '-'})",
            "meta": {"source": c.name, "entity": c.entity, "trust_rank": c.trust_rank},
            "columns": [{"name": name, "meta": {"pii": c.pii.get(name, "none")}} for name in c.silver_names],
        }
        for c in registry.sources()
    ]
    return {
        "version": 2,
        "sources": [
            {
                "name": DBT_SOURCE,
                "description": "Silver Parquet written by spark_jobs, one table per active source "
                "(generated from the source registry; do not edit).",
                "config": {"meta": {"external_location": location}},
                "tables": tables,
            }
        ],
    }


def delivery_model(contract: SourceContract) -> str:
    """The generated incremental copy of one fact source's silver table."""
    relation = f"source('{DBT_SOURCE}', '{contract.silver_table}')"
    return (
        f"{_GENERATED}-- Every delivered silver row of {contract.silver_table}, one partition per _ingest_date.\n"
        f'{{{{ config(pre_hook="{{{{ delete_withdrawn_deliveries({relation}) }}}}") }}}}\n\n'
        f"{{{{ silver_deliveries({relation}) }}}}\n"
    )


def generated_files(registry: Registry) -> dict[str, str]:
    """Relative path -> text of every generated dbt file for the active sources."""
    files = {
        f"staging/{SOURCES_FILE}": "# Generated from the source registry (customer_platform.dbt_registry); do not edit.\n"
        + yaml.safe_dump(sources_yaml(registry), sort_keys=False)
    }
    for contract in registry.sources():
        if contract.entity in DELIVERY_ENTITIES:
            files[f"staging/base/base_{contract.name}__deliveries.sql"] = delivery_model(contract)
    return files


def _relative_dir(settings: Settings, files: dict[str, str]) -> str:
    return f"{GENERATED_ROOT}/{registry_key(files)}"


def registry_dir(settings: Settings | None = None) -> Path:
    """Folder of the generated dbt files for the configured registry."""
    settings = settings or get_settings()
    return settings.dbt_project_dir / _relative_dir(settings, generated_files(get_registry(settings)))


def write_dbt_registry(settings: Settings | None = None) -> Path:
    """Write the generated sources file and delivery models (once per distinct registry)."""
    settings = settings or get_settings()
    files = generated_files(get_registry(settings))
    folder = settings.dbt_project_dir / _relative_dir(settings, files)
    if (folder / ".complete").exists():
        return folder
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    for relative, text in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (staging / ".complete").write_text("", encoding="utf-8")
    try:
        staging.rename(folder)
    except OSError:  # another process wrote the same content first
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def registry_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment the dbt project needs to see the active sources (no files written)."""
    settings = settings or get_settings()
    registry = get_registry(settings)
    return {
        "CDP_DBT_REGISTRY": json.dumps(registry_spec(registry), separators=(",", ":"), sort_keys=True),
        # Feature columns no active source stands behind: null in the marts, never a fake zero.
        "CDP_DBT_ABSENT_FEATURES": json.dumps(list(absent_features(registry))),
        "CDP_DBT_REGISTRY_DIR": _relative_dir(settings, generated_files(registry)),
    }
