"""A warehouse built from the person-file scenario: a CRM export and a member file sharing no key.

The generator writes the CRM contacts and `scheme_members` (a share of persons with names,
birth date and address, no email, phone or card); Spark ingests both; dbt builds the identity
models with exactly these two sources active (the member file is an `example: true` contract
switched on by CDP_SOURCES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

PERSON_FILE_SOURCES = ("crm_customers", "scheme_members")
CUSTOMERS = 400
MEMBER_FILE_SHARE = 0.5
DAY = date(2026, 6, 1)


@dataclass(frozen=True)
class PersonFileWarehouse:
    warehouse_path: Path
    truth_dir: Path


def build_person_file_warehouse(
    root: Path, spark, seed: int = 42, customers: int = CUSTOMERS
) -> PersonFileWarehouse:
    """Generate (one day), ingest and build the identity marts under root."""
    from customer_platform.config import reload_settings
    from customer_platform.warehouse import run_dbt
    from datagen.generator import generate
    from spark_jobs.ingest import ingest_dates

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(root))
        patch.setenv("CDP_SOURCES", ",".join(PERSON_FILE_SOURCES))
        patch.setenv("CDP_MAX_QUARANTINE_RATE", "1.0")
        for name in ("CDP_LANDING_DIR", "CDP_LAKEHOUSE_DIR", "CDP_WAREHOUSE_PATH", "CDP_LOGICAL_DATE"):
            patch.delenv(name, raising=False)
        settings = reload_settings()
        generate(
            settings.landing_dir,
            customers,
            DAY,
            DAY,
            seed=seed,
            sources=PERSON_FILE_SOURCES,
            member_file_share=MEMBER_FILE_SHARE,
        )
        for source in PERSON_FILE_SOURCES:
            ingest_dates(source, [DAY.isoformat()], run_id="person-file", spark=spark)
        run_dbt(
            [
                "build",
                "--select",
                "+customer_identity_map",
                "+dim_customers",
                "--indirect-selection",
                "cautious",
            ],
            DAY.isoformat(),
        )
        built = PersonFileWarehouse(settings.warehouse_path, settings.landing_dir / "_truth")
    reload_settings()
    return built
