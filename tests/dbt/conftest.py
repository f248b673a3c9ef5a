"""One dbt build over the planted silver fixture, shared by the tests of this package."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from customer_platform.restricted import attach_restricted, contact_values
from tests.dbt.silver_fixture import LOGICAL_DATE, SilverFixture, build_fixture


@dataclass(frozen=True)
class BuiltWarehouse:
    settings: object
    run_results: dict  # run_results.json of the build (later dbt commands overwrite the file)


@pytest.fixture(scope="package")
def dbt_settings(tmp_path_factory):
    """Package-wide twin of the `isolated_settings` fixture: every location under one tmp dir.

    (`isolated_settings` is function-scoped; a dbt build costs seconds, so the package shares one.)
    """
    from customer_platform.config import reload_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDP_DATA_DIR", str(tmp_path_factory.mktemp("dbt-data")))
        for name in (
            "CDP_LAKEHOUSE_DIR",
            "CDP_WAREHOUSE_PATH",
            "CDP_LOGICAL_DATE",
            "CDP_RFM_WINDOW_DAYS",
            "DBT_PROFILES_DIR",
            "MLFLOW_TRACKING_URI",
            "AIRFLOW_HOME",
        ):
            patch.delenv(name, raising=False)
        yield reload_settings()
    reload_settings()


@pytest.fixture(scope="package")
def planted(dbt_settings) -> SilverFixture:
    """The planted scenario, written as silver Parquet under the package's lakehouse."""
    fixture = build_fixture()
    fixture.write(dbt_settings.lakehouse_dir)
    return fixture


@pytest.fixture(scope="package")
def built_warehouse(dbt_settings, planted) -> BuiltWarehouse:
    """`dbt build` (models + every data and unit test) for the fixture's logical date."""
    from customer_platform.warehouse import dbt_build

    dbt_build(LOGICAL_DATE.isoformat())
    run_results = json.loads((dbt_settings.data_dir / "dbt" / "target" / "run_results.json").read_text())
    return BuiltWarehouse(dbt_settings, run_results)


@pytest.fixture()
def query(built_warehouse):
    """Run SQL against the built warehouse read-only and return a DataFrame."""
    from customer_platform.warehouse import connect_readonly

    def run(sql: str, params: list | None = None):
        con = connect_readonly()
        try:
            attach_restricted(
                con, read_only=True
            )  # staging, intermediate and pii: `restricted.<schema>.<table>`
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    return run


@pytest.fixture()
def contacts(built_warehouse):
    """restricted.pii.customer_contacts with its encrypted contact columns decrypted (CDP_PII_KEY)."""
    from customer_platform.pii_cipher import ENCRYPTED_CONTACT_COLUMNS
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        attach_restricted(con, read_only=True)
        decrypted = contact_values(con, None, ENCRYPTED_CONTACT_COLUMNS)
        clear = con.execute(
            "select unified_customer_id, email_hash, phone_hash, has_marketing_consent "
            "from restricted.pii.customer_contacts"
        ).df()
    finally:
        con.close()
    return decrypted.merge(clear, on="unified_customer_id")


@pytest.fixture(scope="package")
def generated(tmp_path_factory, spark):
    """Warehouses built from generated landing files (see tests/dbt/generated_warehouse.py)."""
    from tests.dbt.generated_warehouse import build_generated_warehouses

    return build_generated_warehouses(tmp_path_factory.mktemp("generated"), spark)


@pytest.fixture(scope="package")
def person_file(tmp_path_factory, spark):
    """The person-file scenario's warehouse (see tests/dbt/person_file_warehouse.py)."""
    from tests.dbt.person_file_warehouse import build_person_file_warehouse

    return build_person_file_warehouse(tmp_path_factory.mktemp("person-file"), spark)
