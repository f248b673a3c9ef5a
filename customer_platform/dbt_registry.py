"""The source registry as the dbt project sees it.

dbt reads the active sources in two ways, both derived here from the contracts:
- `CDP_DBT_REGISTRY`: a JSON list, one entry per active source (entity, silver table, keys,
  identifiers, measures, trust rank), read by the `cdp_sources()` macro at parse time, so the
  entity unions loop over it and `source()` calls register in the lineage;
- a generated sources file, `<data_dir>/dbt/registry/_silver__sources.yml`, declaring each
  active silver table as a dbt source (`model-paths` includes that folder via
  `CDP_DBT_REGISTRY_DIR`). Nothing in `dbt_project/` names a source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from customer_platform.config import Settings, get_settings
from customer_platform.registry import Registry, SourceContract, get_registry

SOURCES_FILE = "_silver__sources.yml"
#: dbt source name of every silver table.
DBT_SOURCE = "silver"


def registry_dir(settings: Settings | None = None) -> Path:
    """Folder of the generated dbt files (per data directory)."""
    return (settings or get_settings()).data_dir / "dbt" / "registry"


def source_spec(contract: SourceContract) -> dict[str, Any]:
    """What the dbt macros need to know about one source."""
    return {
        "name": contract.name,
        "entity": contract.entity,
        "table": contract.silver_table,
        "natural_key": list(contract.natural_key),
        "latest_by": contract.latest_by,
        "record_id": contract.record_id,
        "trust_rank": contract.trust_rank,
        "channel": contract.channel or contract.name,
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
            "columns": [
                {"name": name, "meta": {"pii": c.pii.get(name, "none")}} for name in c.silver_names
            ],
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


def write_dbt_registry(settings: Settings | None = None) -> Path:
    """Write the generated sources file if it changed (dbt re-parses only on change); returns its folder."""
    settings = settings or get_settings()
    folder = registry_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SOURCES_FILE
    text = "# Generated from the source registry (customer_platform.dbt_registry); do not edit.\n" + yaml.safe_dump(
        sources_yaml(get_registry(settings)), sort_keys=False
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return folder


def registry_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment the dbt project needs to see the active sources (no files written)."""
    settings = settings or get_settings()
    spec = registry_spec(get_registry(settings))
    return {
        "CDP_DBT_REGISTRY": json.dumps(spec, separators=(",", ":"), sort_keys=True),
        "CDP_DBT_REGISTRY_DIR": str(registry_dir(settings)),
    }
