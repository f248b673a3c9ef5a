"""The scale-out tier configures its processes with the compose file's variables, moved to this host."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer_platform.config import REPO_ROOT
from tests.scaleout.conftest import OVERRIDES
from tests.scaleout.environment import (
    LOCAL_ONLY,
    Layout,
    Ports,
    compose_environment_keys,
    env_file_values,
    health_url,
    service_command,
    stack_environment,
)

PORTS = Ports(postgres=15432, airflow_apiserver=18080, spark_master=17077, spark_master_ui=18081,
              spark_worker_ui=18082, mlflow=15000)  # fmt: skip
LAYOUT = Layout(Path("/tmp/cdp-scaleout-example"))
#: An inherited environment with platform and Airflow settings of its own, which must not leak in.
BASE = {
    "HOME": "/root",
    "PATH": "/usr/bin",
    "CDP_DATA_DIR": "/elsewhere",
    "SPARK_MASTER": "local[2]",
    "AIRFLOW__CORE__EXECUTOR": "SequentialExecutor",
    "CDP_DBT_EXECUTION_MODE": "watcher",
}


def test_the_stack_sets_exactly_the_compose_files_variables_plus_the_documented_local_ones():
    env = stack_environment(PORTS, LAYOUT, OVERRIDES, base=BASE)
    assert set(env) == {"HOME"} | compose_environment_keys() | set(LOCAL_ONLY)
    assert "CDP_DBT_EXECUTION_MODE" not in env  # not in the compose file: the platform's default applies


def test_container_addresses_and_paths_become_local_ones():
    env = stack_environment(PORTS, LAYOUT, OVERRIDES, base=BASE)
    leftover = {k: v for k, v in env.items() if any(word in v for word in ("/opt/", "spark-master", "mlflow:5000",
                                                                         "@postgres", "airflow-apiserver"))}  # fmt: skip
    assert not leftover
    assert env["CDP_DATA_DIR"] == str(LAYOUT.data_dir)
    assert env["AIRFLOW_HOME"] == str(LAYOUT.airflow_home)
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO_ROOT / "dags")
    assert env["CDP_CONTRACTS_DIR"] == str(REPO_ROOT / "spark_jobs" / "contracts")
    assert env["SPARK_MASTER"] == "spark://127.0.0.1:17077"
    assert env["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:15000"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert (
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        == "postgresql+psycopg2://platform:platform@127.0.0.1:15432/airflow"
    )
    assert env["CDP_DEFAULT_LOGICAL_DATE"] == OVERRIDES["CDP_DEFAULT_LOGICAL_DATE"]
    assert env["PATH"].split(":")[1:] == ["/usr/bin"]


def test_overrides_must_be_names_of_the_env_file():
    assert set(OVERRIDES) <= set(env_file_values())
    with pytest.raises(KeyError, match="CDP_NOT_A_SETTING"):
        env_file_values({"CDP_NOT_A_SETTING": "1"})


def test_service_commands_and_health_checks_are_the_compose_files():
    mlflow = service_command("mlflow", PORTS, LAYOUT)
    assert mlflow[0].endswith("mlflow") and mlflow[1] == "server"
    assert {
        "--host=127.0.0.1",
        "--port=15000",
        "--backend-store-uri=postgresql+psycopg2://platform:platform@127.0.0.1:15432/mlflow",
        f"--artifacts-destination={LAYOUT.mlflow_artifacts}",
        "--serve-artifacts",
    } == set(mlflow[2:])
    assert service_command("airflow-init", PORTS, LAYOUT)[1:] == ["init"]
    assert service_command("airflow-scheduler", PORTS, LAYOUT)[1:] == ["scheduler"]
    assert health_url("airflow-apiserver", PORTS, LAYOUT) == "http://127.0.0.1:18080/api/v2/version"
    assert health_url("spark-master", PORTS, LAYOUT) == "http://127.0.0.1:18081"
