"""dbt-duckdb plugin (profiles.yml `plugins`): the restricted database and `pii_encrypt` on dbt's connection.

Before dbt connects (and attaches CDP_RESTRICTED_PATH), the plugin unseals the restricted
database if it is sealed and holds it for this process (customer_platform.restricted); once
connected it registers `pii_encrypt`, with which the `pii` models encrypt raw contact values
(customer_platform.pii_cipher). The key is CDP_PII_KEY from the environment dbt runs in,
never a dbt variable (variables are logged).
"""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from customer_platform.config import Settings
from customer_platform.pii_cipher import register_encrypt_function
from customer_platform.restricted_store import open_for_use


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        open_for_use(Settings.from_env())  # the environment dbt runs in, as the profile reads it

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_encrypt_function(conn, Settings.from_env().pii_key)
