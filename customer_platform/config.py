"""The one place that knows locations, connections and tunable defaults.

Every value has an embedded default for a single machine (local Spark, DuckDB,
SQLite for Airflow and MLflow) and an environment-variable override, so the same
code runs scaled out (Spark cluster, Postgres, MLflow server) by configuration only.
Nothing else in the repository hard-codes a path or URL: ask `get_settings()`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from pathlib import Path

from customer_platform.alert_settings import ALERT_ENV_VARS, AlertSettings
from customer_platform.env_forms import check_environment, warn_once
from customer_platform.env_values import env_float as _env_float
from customer_platform.env_values import env_int as _env_int
from customer_platform.env_values import env_list as _env_list
from customer_platform.env_values import env_text as _env
from customer_platform.env_values import parse_iso_date
from customer_platform.monitoring_settings import MONITORING_ENV_VARS, MonitoringThresholds

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Contracts shipped with the platform (the demo sources and an example); see docs/sources.md.
SHIPPED_CONTRACTS_DIR = REPO_ROOT / "spark_jobs" / "contracts"

#: Demo-only secrets: `make run` works without configuration, and every run outside the demo
#: is warned while they are in use (they are public, being in this file).
DEMO_HASH_SALT = "cdp-demo-salt-change-me"
DEMO_PII_KEY = "cdp-demo-pii-key-change-me"
DEMO_SECRETS = frozenset({DEMO_HASH_SALT, DEMO_PII_KEY})
#: Settings never printed (`cdp config` shows whether they are set).
SECRET_SETTINGS = ("hash_salt", "pii_key")
SECRET_ENV_VARS = ("CDP_HASH_SALT", "CDP_PII_KEY")

#: Environment variables this module reads (docker-compose and .env.example use these names).
ENV_VARS: tuple[str, ...] = (
    "CDP_DATA_DIR", "CDP_CONTRACTS_DIR", "CDP_SOURCES", "CDP_LANDING_DIR", "CDP_LAKEHOUSE_DIR",
    "CDP_WAREHOUSE_PATH", "CDP_RESTRICTED_PATH", "CDP_PII_KEY", "CDP_DQ_DIR", "CDP_HASH_SALT", "CDP_BASE_CURRENCY", "CDP_MAX_QUARANTINE_RATE",
    "CDP_RFM_WINDOW_DAYS", "CDP_DEFAULT_LOGICAL_DATE", "CDP_DEMO_CUSTOMERS", "CDP_DEMO_START_DATE",
    "CDP_DEMO_END_DATE", "CDP_START_DATE", "CDP_SEED", "SPARK_MASTER", "SPARK_DRIVER_MEMORY",
    "SPARK_SHUFFLE_PARTITIONS", "CDP_SPARK_JAVA_OPTIONS", "CDP_SPARK_SUBMIT", "MLFLOW_TRACKING_URI",
    "MLFLOW_ARTIFACT_ROOT", "AIRFLOW_HOME", "DBT_PROFILES_DIR", "DBT_THREADS", "CDP_DBT_EXECUTION_MODE",
    "CDP_DUCKDB_MEMORY_LIMIT", "CDP_CHURN_HORIZON_DAYS", "CDP_AT_RISK_THRESHOLD", "CDP_AUDIENCES_DIR",
    "CDP_ACTION_RULES_DIR", "CDP_EXPORTS_DIR", *ALERT_ENV_VARS, *MONITORING_ENV_VARS,
)  # fmt: skip

#: JVM flags of the Spark driver and executors. Parallel GC suits batch jobs on few cores
#: (G1's concurrent threads compete with the tasks), and the second flag lets the JIT
#: compile Spark's generated per-row methods even when they exceed 8 KB of bytecode
#: (wide contracts produce such methods; left interpreted they run several times slower).
DEFAULT_SPARK_JAVA_OPTIONS = "-XX:+UseParallelGC -XX:-DontCompileHugeMethods"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with `get_settings()` or `Settings.from_env()`."""

    data_dir: Path
    contracts_dir: Path
    #: CDP_SOURCES as given (empty: every shipped-or-configured contract not marked `example`);
    #: the resolved active set is `customer_platform.registry.get_registry().active`.
    requested_sources: tuple[str, ...]
    landing_dir: Path
    lakehouse_dir: Path
    warehouse_path: Path
    #: The restricted database (staging, intermediate and `pii` schemas: raw identifiers), a
    #: separate owner-only file next to the analysts' warehouse; see customer_platform.restricted.
    restricted_path: Path
    #: Key of the restricted database at rest and of its encrypted contact columns (never printed).
    pii_key: str
    dq_dir: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: str
    airflow_home: Path
    dbt_project_dir: Path
    dbt_profiles_dir: Path
    dbt_threads: int
    dbt_execution_mode: str
    duckdb_memory_limit: str
    spark_master: str
    spark_driver_memory: str
    spark_shuffle_partitions: int
    spark_java_options: str
    spark_submit: str
    hash_salt: str
    base_currency: str
    max_quarantine_rate: float
    rfm_window_days: int
    #: Churn: no purchase in this many days after an observation date (README "Predictions").
    churn_horizon_days: int
    #: Churn probability above which a customer is At-Risk.
    at_risk_threshold: float
    #: Audience files (`*.yml`), next-best-action rule files, and where exports are written.
    audiences_dir: Path
    action_rules_dir: Path
    exports_dir: Path
    default_logical_date: str
    demo_customers: int
    demo_start_date: str
    demo_end_date: str
    #: First logical date of the nightly pipeline (the DAG's start_date); earlier dates are refused.
    start_date: str
    seed: int
    #: Alert channels (CDP_ALERT_*; README "Alerts"); `customer_platform.alerts.send_alert` uses them.
    alerts: AlertSettings
    #: Drift, stability and KPI thresholds of monitoring (CDP_PSI_*, CDP_SEGMENT_*, CDP_STABILITY_ARI_*,
    #: CDP_KPI_*; defaults justified in `customer_platform.monitoring_settings`).
    monitoring: MonitoringThresholds

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment now (tests call this after setting variables).

        Raises ValueError (ConfigurationError for a malformed value) in one line naming the variable.
        """
        check_environment()
        data_dir = Path(_env("CDP_DATA_DIR", str(REPO_ROOT / "data"))).resolve()
        mlflow_dir = data_dir / "mlflow"
        demo_start_date = _env("CDP_DEMO_START_DATE", "2026-06-01")
        settings = cls(
            data_dir=data_dir,
            contracts_dir=Path(_env("CDP_CONTRACTS_DIR", str(SHIPPED_CONTRACTS_DIR))).resolve(),
            requested_sources=_env_list("CDP_SOURCES"),
            landing_dir=Path(_env("CDP_LANDING_DIR", str(data_dir / "landing"))).resolve(),
            lakehouse_dir=Path(_env("CDP_LAKEHOUSE_DIR", str(data_dir / "lakehouse"))).resolve(),
            warehouse_path=Path(
                _env("CDP_WAREHOUSE_PATH", str(data_dir / "warehouse" / "warehouse.duckdb"))
            ).resolve(),
            restricted_path=Path(
                _env("CDP_RESTRICTED_PATH", str(data_dir / "restricted" / "restricted.duckdb"))
            ).resolve(),
            pii_key=_env("CDP_PII_KEY", DEMO_PII_KEY),
            dq_dir=Path(_env("CDP_DQ_DIR", str(data_dir / "dq"))).resolve(),
            mlflow_tracking_uri=_env("MLFLOW_TRACKING_URI", f"sqlite:///{mlflow_dir / 'mlflow.db'}"),
            mlflow_artifact_root=_env("MLFLOW_ARTIFACT_ROOT", str(mlflow_dir / "artifacts")),
            airflow_home=Path(_env("AIRFLOW_HOME", str(data_dir / "airflow"))).resolve(),
            dbt_project_dir=REPO_ROOT / "dbt_project",
            dbt_profiles_dir=Path(_env("DBT_PROFILES_DIR", str(REPO_ROOT / "dbt_project"))).resolve(),
            dbt_threads=_env_int("DBT_THREADS", 1),
            dbt_execution_mode=_env("CDP_DBT_EXECUTION_MODE", "local").lower(),
            duckdb_memory_limit=_env("CDP_DUCKDB_MEMORY_LIMIT", "6GB"),
            spark_master=_env("SPARK_MASTER", "local[*]"),
            spark_driver_memory=_env("SPARK_DRIVER_MEMORY", "4g"),
            spark_shuffle_partitions=_env_int("SPARK_SHUFFLE_PARTITIONS", 8),
            spark_java_options=_env("CDP_SPARK_JAVA_OPTIONS", DEFAULT_SPARK_JAVA_OPTIONS),
            spark_submit=_env("CDP_SPARK_SUBMIT", "auto").lower(),
            hash_salt=_env("CDP_HASH_SALT", DEMO_HASH_SALT),
            base_currency=_env("CDP_BASE_CURRENCY", "GBP"),
            max_quarantine_rate=_env_float("CDP_MAX_QUARANTINE_RATE", 0.10),
            rfm_window_days=_env_int("CDP_RFM_WINDOW_DAYS", 365),
            churn_horizon_days=_env_int("CDP_CHURN_HORIZON_DAYS", 90),
            at_risk_threshold=_env_float("CDP_AT_RISK_THRESHOLD", 0.70),
            audiences_dir=Path(
                _env("CDP_AUDIENCES_DIR", str(REPO_ROOT / "activation" / "audiences"))
            ).resolve(),
            action_rules_dir=Path(
                _env("CDP_ACTION_RULES_DIR", str(REPO_ROOT / "activation" / "rules"))
            ).resolve(),
            exports_dir=Path(_env("CDP_EXPORTS_DIR", str(data_dir / "exports"))).resolve(),
            default_logical_date=_env("CDP_DEFAULT_LOGICAL_DATE", "2026-06-30"),
            demo_customers=_env_int("CDP_DEMO_CUSTOMERS", 5000),
            demo_start_date=demo_start_date,
            demo_end_date=_env("CDP_DEMO_END_DATE", "2026-06-30"),
            start_date=_env("CDP_START_DATE", demo_start_date),
            seed=_env_int("CDP_SEED", 42),
            alerts=AlertSettings.from_env(),
            monitoring=MonitoringThresholds.from_env(),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError naming the setting that is out of range."""
        if not 0.0 <= self.max_quarantine_rate <= 1.0:
            raise ValueError(f"CDP_MAX_QUARANTINE_RATE must be within 0..1, got {self.max_quarantine_rate}")
        if self.rfm_window_days <= 0:
            raise ValueError(f"CDP_RFM_WINDOW_DAYS must be positive, got {self.rfm_window_days}")
        if not 7 <= self.churn_horizon_days <= 730:
            raise ValueError(f"CDP_CHURN_HORIZON_DAYS must be within 7..730, got {self.churn_horizon_days}")
        if not 0.0 < self.at_risk_threshold < 1.0:
            raise ValueError(
                f"CDP_AT_RISK_THRESHOLD must be within 0..1 (exclusive), got {self.at_risk_threshold}"
            )
        if self.demo_customers <= 0:
            raise ValueError(f"CDP_DEMO_CUSTOMERS must be positive, got {self.demo_customers}")
        if self.dbt_execution_mode not in {"watcher", "local"}:
            raise ValueError(
                f"CDP_DBT_EXECUTION_MODE must be 'watcher' or 'local', got {self.dbt_execution_mode!r}"
            )
        if self.spark_submit not in {"auto", "always", "never"}:
            raise ValueError(
                f"CDP_SPARK_SUBMIT must be 'auto', 'always' or 'never', got {self.spark_submit!r}"
            )
        if self.dbt_threads <= 0:
            raise ValueError(f"DBT_THREADS must be positive, got {self.dbt_threads}")
        dates = {
            "CDP_START_DATE": self.start_date,
            "CDP_DEFAULT_LOGICAL_DATE": self.default_logical_date,
            "CDP_DEMO_START_DATE": self.demo_start_date,
            "CDP_DEMO_END_DATE": self.demo_end_date,
        }
        for name, value in dates.items():
            parse_iso_date(value, name)
        self.alerts.validate()
        self.monitoring.validate()

    # Derived locations -------------------------------------------------------------
    @property
    def truth_dir(self) -> Path:
        """Ground truth written by the generator; read only by tests and benchmarks."""
        return self.landing_dir / "_truth"

    @property
    def bronze_dir(self) -> Path:
        return self.lakehouse_dir / "bronze"

    @property
    def quarantine_dir(self) -> Path:
        return self.lakehouse_dir / "quarantine"

    @property
    def silver_dir(self) -> Path:
        return self.lakehouse_dir / "silver"

    @property
    def manifests_dir(self) -> Path:
        return self.lakehouse_dir / "_manifests"

    def manifest_path(self, source: str, ingest_date: date | str) -> Path:
        """The ingestion manifest of one source and date (what was read, kept, quarantined)."""
        return self.manifests_dir / source / f"ingest_date={ingest_date}" / "manifest.json"

    @property
    def suppression_path(self) -> Path:
        """The suppression list of plain values written before keyed hashes (still honoured)."""
        return self.lakehouse_dir / "_suppression" / "suppression_list.csv"

    @property
    def suppression_keys_path(self) -> Path:
        """The suppression list: keyed hashes of erased people's ids (`customer_platform.suppression`)."""
        return self.lakehouse_dir / "_suppression" / "suppression_keys.csv"

    @property
    def erasure_requests_dir(self) -> Path:
        """Queued erasure requests (owner-only files named by request id, deleted when done)."""
        return self.data_dir / "privacy" / "requests"

    @property
    def bench_dir(self) -> Path:
        """Benchmark datasets and their lakehouse/warehouse, one sub-folder per scale."""
        return self.data_dir / "bench"

    @property
    def erasure_audit_path(self) -> Path:
        """Append-only log of erasure requests (ids and counts, never personal data)."""
        return self.data_dir / "audit" / "erasures.jsonl"

    @property
    def is_demo(self) -> bool:
        """The generated demo: the shipped contracts with only shipped, non-example sources active."""
        return self.contracts_dir == SHIPPED_CONTRACTS_DIR.resolve() and all(
            (SHIPPED_CONTRACTS_DIR / f"{name}.yml").is_file() for name in self.requested_sources
        )

    @property
    def uses_spark_submit(self) -> bool:
        """Spark jobs run as separate `spark-submit` applications (a cluster master, or forced)."""
        if self.spark_submit == "auto":
            return not self.spark_master.startswith("local")
        return self.spark_submit == "always"

    @property
    def run_summaries_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def data_docs_dir(self) -> Path:
        return self.dq_dir / "data_docs"

    @property
    def marts_gate_state_dir(self) -> Path:
        """The marts gate's row hashes of its last passing run (expectations.marts_state)."""
        return self.dq_dir / "marts_state"

    def as_env(self) -> dict[str, str]:
        """Environment for subprocesses (dbt, airflow) so they see the same locations."""
        return {
            "CDP_DATA_DIR": str(self.data_dir),
            "CDP_CONTRACTS_DIR": str(self.contracts_dir),
            "CDP_SOURCES": ",".join(self.requested_sources),
            "CDP_LANDING_DIR": str(self.landing_dir),
            "CDP_LAKEHOUSE_DIR": str(self.lakehouse_dir),
            "CDP_WAREHOUSE_PATH": str(self.warehouse_path),
            "CDP_RESTRICTED_PATH": str(self.restricted_path),
            "CDP_PII_KEY": self.pii_key,
            "CDP_DQ_DIR": str(self.dq_dir),
            "CDP_HASH_SALT": self.hash_salt,
            "CDP_BASE_CURRENCY": self.base_currency,
            "CDP_RFM_WINDOW_DAYS": str(self.rfm_window_days),
            "CDP_CHURN_HORIZON_DAYS": str(self.churn_horizon_days),
            "CDP_AT_RISK_THRESHOLD": str(self.at_risk_threshold),
            "CDP_AUDIENCES_DIR": str(self.audiences_dir),
            "CDP_ACTION_RULES_DIR": str(self.action_rules_dir),
            "CDP_EXPORTS_DIR": str(self.exports_dir),
            "CDP_START_DATE": self.start_date,
            "SPARK_MASTER": self.spark_master,
            "SPARK_DRIVER_MEMORY": self.spark_driver_memory,
            "SPARK_SHUFFLE_PARTITIONS": str(self.spark_shuffle_partitions),
            "CDP_SPARK_JAVA_OPTIONS": self.spark_java_options,
            "CDP_SPARK_SUBMIT": self.spark_submit,
            "MLFLOW_TRACKING_URI": self.mlflow_tracking_uri,
            "MLFLOW_ARTIFACT_ROOT": self.mlflow_artifact_root,
            "AIRFLOW_HOME": str(self.airflow_home),
            "DBT_PROFILES_DIR": str(self.dbt_profiles_dir),
            "CDP_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }

    def describe(self) -> dict[str, str]:
        """Every setting as a string, for `cdp config` and run summaries (secrets masked)."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        for name in SECRET_SETTINGS:
            shown[name] = "(demo value)" if getattr(self, name) in DEMO_SECRETS else "(set)"
        return shown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process; call `reload_settings()` after changing the environment.

    Warns (once per process) while the demo's published hash salt or key protects data other than the demo.
    """
    settings = Settings.from_env()
    if settings.hash_salt == DEMO_HASH_SALT and not settings.is_demo:
        warn_once(
            "configuration warning: CDP_HASH_SALT is the demo's published salt, and this is not the demo (own contracts "
            "folder or CDP_SOURCES): anyone can re-identify the hashed identifiers; set CDP_HASH_SALT "
            "to a secret value"
        )
    if settings.pii_key == DEMO_PII_KEY and not settings.is_demo:
        warn_once(
            "configuration warning: CDP_PII_KEY is the demo's published key, and this is not the demo (own contracts "
            "folder or CDP_SOURCES): anyone can decrypt the restricted database; set CDP_PII_KEY to a secret value"
        )
    return settings


def reload_settings() -> Settings:
    """Forget cached settings and read the environment again."""
    get_settings.cache_clear()
    return get_settings()
