"""Retention: a source's landing, bronze and quarantine partitions older than its contract's days go."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from customer_platform.config import SHIPPED_CONTRACTS_DIR, reload_settings
from customer_platform.contract_parser import parse_contract
from customer_platform.registry import get_contract
from customer_platform.source_contract import ContractError
from spark_jobs.ingest import ingest_source
from spark_jobs.retention import apply_retention
from tests.spark_jobs.lake import leftovers, manifest
from tests.spark_jobs.landing_files import valid_rows, write_drop

LOGICAL = "2026-06-10"
DATES = ["2026-06-05", "2026-06-06", "2026-06-07", "2026-06-08", "2026-06-10", "2026-06-12"]


def _lake(settings) -> dict[str, Path]:
    """A partition of every date in each of web_orders' folders, silver included."""
    folders = {
        "landing": settings.landing_dir / "web_orders",
        "bronze": settings.bronze_dir / "web_orders",
        "quarantine": settings.quarantine_dir / "web_orders",
        "silver": settings.silver_dir / "web_order_lines",
    }
    for layer, folder in folders.items():
        for day in DATES:
            part = folder / (day if layer == "landing" else f"ingest_date={day}")
            part.mkdir(parents=True)
            (part / "part-00000.parquet").write_bytes(b"rows")
    return folders


def _dates(folder: Path) -> list[str]:
    return sorted(p.name.removeprefix("ingest_date=") for p in folder.iterdir() if p.is_dir())


def test_partitions_older_than_the_retention_are_deleted_except_silver(isolated_settings):
    folders = _lake(isolated_settings)
    contract = dataclasses.replace(get_contract("web_orders"), retention_days=2)
    manifests = [{"source": "web_orders"}]

    result = apply_retention(contract, isolated_settings, LOGICAL, manifests)

    kept = ["2026-06-08", "2026-06-10", "2026-06-12"]  # 2 days before the logical date, and later
    for layer in ("landing", "bronze", "quarantine"):
        assert _dates(folders[layer]) == kept, layer
    assert _dates(folders["silver"]) == DATES  # the cleaned history is never deleted
    assert result == {
        "days": 2,
        "deleted_before": "2026-06-08",
        "partitions_deleted": {"landing": 3, "bronze": 3, "quarantine": 3},
        "dates_deleted": ["2026-06-05", "2026-06-06", "2026-06-07"],
    }
    assert manifests[0]["retention"] == result
    assert leftovers(isolated_settings.lakehouse_dir) == [] and leftovers(isolated_settings.landing_dir) == []
    again = apply_retention(contract, isolated_settings, LOGICAL)  # idempotent
    assert again["partitions_deleted"] == {"landing": 0, "bronze": 0, "quarantine": 0}


def test_zero_days_keeps_only_the_logical_date_and_later(isolated_settings):
    folders = _lake(isolated_settings)
    apply_retention(
        dataclasses.replace(get_contract("web_orders"), retention_days=0), isolated_settings, LOGICAL
    )
    assert _dates(folders["bronze"]) == ["2026-06-10", "2026-06-12"]


def test_without_retention_everything_is_kept(isolated_settings):
    folders = _lake(isolated_settings)
    contract = get_contract("web_orders")
    assert contract.retention_days is None  # the default: off
    manifests = [{}]
    assert apply_retention(contract, isolated_settings, LOGICAL, manifests) is None
    assert all(_dates(folder) == DATES for folder in folders.values())
    assert manifests == [{"retention": None}]


def _contract_yaml(**extra) -> dict:
    data = yaml.safe_load((SHIPPED_CONTRACTS_DIR / "web_orders.yml").read_text(encoding="utf-8"))
    return {**data, **extra}


def test_the_contract_reads_retention_days():
    assert parse_contract(_contract_yaml(retention={"days": 30})).retention_days == 30


@pytest.mark.parametrize(
    "block", [{"days": -1}, {"days": "30"}, {"days": True}, {"days": 1.5}, 30, {"weeks": 2}]
)
def test_a_bad_retention_is_a_one_line_error_naming_it(block):
    with pytest.raises(ContractError) as caught:
        parse_contract(_contract_yaml(retention=block))
    message = str(caught.value)
    assert "\n" not in message and "retention" in message
    assert "non-negative integer" in message or "mapping with the key days" in message


def test_ingestion_applies_the_contract_retention(spark, isolated_settings, tmp_path, monkeypatch):
    contracts = tmp_path / "contracts"
    shutil.copytree(SHIPPED_CONTRACTS_DIR, contracts)
    path = contracts / "web_orders.yml"
    path.write_text(yaml.safe_dump(_contract_yaml(retention={"days": 1})), encoding="utf-8")
    monkeypatch.setenv("CDP_CONTRACTS_DIR", str(contracts))
    settings = reload_settings()
    for i, day in enumerate(("2026-06-01", "2026-06-02", "2026-06-03")):
        write_drop(settings.landing_dir, "web_orders", day, valid_rows("web_orders", 2, start=10 * i))
        ingest_source("web_orders", day, spark=spark)

    assert _dates(settings.landing_dir / "web_orders") == ["2026-06-02", "2026-06-03"]
    assert _dates(settings.bronze_dir / "web_orders") == ["2026-06-02", "2026-06-03"]
    assert _dates(settings.silver_dir / "web_order_lines") == ["2026-06-01", "2026-06-02", "2026-06-03"]
    retention = manifest(settings, "web_orders", "2026-06-03")["retention"]
    assert retention["dates_deleted"] == ["2026-06-01"] and retention["partitions_deleted"]["bronze"] == 1
