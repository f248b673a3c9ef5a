"""The scale-out stack's environment, translated from docker-compose.yml to processes on one machine.

The tier does not invent its own settings: every variable the Airflow services, the tasks and the
`cdp` commands see is a key of the compose file's `x-airflow` environment (which merges
`x-platform-env`), its `${VAR}` resolved from `.env.example` as `docker compose --env-file
.env.example` would, then moved from containers to this host: `<service>:<port>` becomes
`127.0.0.1:<free port>` and the container paths become temporary folders (data, Airflow home) or
this checkout. Only the variables in LOCAL_ONLY are added, each for a reason given there.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from customer_platform.config import ENV_VARS, REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
#: Container paths of the compose file: the shared data volume, the image's checkout, Airflow's home.
DATA_MOUNT = "/opt/platform/data"
IMAGE_ROOT = "/opt/platform"
AIRFLOW_HOME_IN_IMAGE = "/opt/airflow"
#: Marks every process the stack starts (inherited by their children), so that stopping it can
#: find each one by pid, and a test can prove none is left.
STACK_MARKER = "CDP_SCALEOUT_STACK"

#: Variables the tier sets that the compose file does not, and why.
LOCAL_ONLY: dict[str, str] = {
    "PATH": "the image installs the platform into the system Python; here the virtualenv's bin/ comes first",
    "SPARK_LOCAL_IP": "every process shares one host: Spark binds and advertises the loopback address",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "the tier triggers one logical date; no catch-up runs from "
    "CDP_START_DATE to today",
    STACK_MARKER: "finds the stack's processes by pid when it stops",
}


@dataclass(frozen=True)
class Ports:
    """Free local ports standing for the compose file's container ports."""

    postgres: int
    airflow_apiserver: int
    spark_master: int
    spark_master_ui: int
    spark_worker_ui: int
    mlflow: int

    def by_container_port(self) -> dict[int, int]:
        """Container port (as the compose file writes it) -> local port."""
        return {
            5432: self.postgres,
            8080: self.airflow_apiserver,
            7077: self.spark_master,
            8081: self.spark_master_ui,
            8082: self.spark_worker_ui,
            5000: self.mlflow,
        }


@dataclass(frozen=True)
class Layout:
    """Where the stack keeps its state: one temporary root."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.data_dir / "mlflow" / "artifacts"


def compose_file() -> dict:
    """docker-compose.yml as parsed YAML (merge keys resolved)."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    """The `NAME=value` pairs of .env.example (the compose file's env file)."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def compose_environment_keys() -> set[str]:
    """Every variable the compose file gives the Airflow services (x-airflow, with x-platform-env)."""
    compose = compose_file()
    return set(compose["x-platform-env"]) | set(compose["x-airflow"]["environment"])


def translate(value: str, ports: Ports, layout: Layout) -> str:
    """A compose value moved to this host: service addresses to local ports, container paths to folders."""
    local = ports.by_container_port()

    def address(match: re.Match) -> str:
        return f"127.0.0.1:{local[int(match.group(2))]}"

    value = re.sub(r"\b(postgres|airflow-apiserver|spark-master|mlflow|localhost):(\d+)\b", address, value)
    # A container listens on every interface; on this host, loopback only.
    value = value.replace("0.0.0.0", "127.0.0.1")
    value = re.sub(r"^--port=(\d+)$", lambda m: f"--port={local[int(m.group(1))]}", value)
    for container, here in (
        (DATA_MOUNT, layout.data_dir),
        (AIRFLOW_HOME_IN_IMAGE, layout.airflow_home),
        (IMAGE_ROOT, REPO_ROOT),
    ):
        value = re.sub(rf"(?<![\w/]){re.escape(container)}(?=/|$)", str(here), value)
    return value


def resolve(value: object, env_file: dict[str, str]) -> str:
    """`${VAR}` of a compose value from the env file (an unknown name is a KeyError, as compose would refuse)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: env_file[m.group(1)], str(value))


def env_file_values(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """.env.example with the tier's few dataset overrides (names must already be in the file)."""
    values = env_example()
    unknown = set(overrides or {}) - set(values)
    if unknown:
        raise KeyError(f"not in .env.example: {sorted(unknown)}")
    return {**values, **(overrides or {})}


def stack_environment(
    ports: Ports, layout: Layout, overrides: dict[str, str] | None = None, base: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of every process of the stack (see the module docstring).

    base: the inherited environment (default os.environ) minus the platform's and Airflow's own
    variables, so that only the compose file's values configure the stack.
    """
    env_file = env_file_values(overrides)
    compose = compose_file()
    merged = {**compose["x-platform-env"], **compose["x-airflow"]["environment"]}
    inherited = dict(os.environ if base is None else base)
    for key in list(inherited):
        if key in ENV_VARS or key.startswith(("AIRFLOW__", "CDP_", "MLFLOW_", "SPARK_", "DBT_", "PYSPARK_")):
            inherited.pop(key)
    env = {
        **inherited,
        **{key: translate(resolve(value, env_file), ports, layout) for key, value in merged.items()},
    }
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": os.pathsep.join([venv_bin, inherited.get("PATH", os.defpath)]),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            STACK_MARKER: str(layout.root),
        }
    )
    return env


def service_command(name: str, ports: Ports, layout: Layout) -> list[str]:
    """A compose service's command on this host (its executable from this virtualenv when there)."""
    env_file = env_file_values()
    argv = [
        translate(resolve(arg, env_file), ports, layout)
        for arg in compose_file()["services"][name]["command"]
    ]
    local = Path(sys.executable).with_name(argv[0])
    return [str(local) if local.exists() else argv[0], *argv[1:]]


def health_url(name: str, ports: Ports, layout: Layout) -> str:
    """The URL of a compose service's `curl --fail` health check, on this host."""
    test = compose_file()["services"][name]["healthcheck"]["test"]
    urls = [arg for arg in test if str(arg).startswith("http")]
    if len(urls) != 1:
        raise ValueError(f"{name}: no single URL in its health check {test!r}")
    return translate(urls[0], ports, layout)
