"""docker-compose.yml: services, pinned images, health checks, configuration variables."""

from __future__ import annotations

import re

import yaml

from customer_platform.config import ENV_VARS, REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _resolve(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], value)


def test_compose_has_the_scale_out_services():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    expected = {
        "postgres",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "spark-master",
        "spark-worker",
        "mlflow",
    }
    assert expected <= set(services)


def test_every_image_is_pinned_and_every_service_has_a_health_check():
    env = _env_example()
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, service in services.items():
        image = _resolve(service["image"], env)
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: image {image!r} is not pinned"
        assert "healthcheck" in service and service["healthcheck"]["test"], f"{name}: no health check"


def test_compose_variables_are_defined_and_read_by_configuration():
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{(\w+)\}", text))
    env = _env_example()
    assert used <= set(env), f"undefined in .env.example: {sorted(used - set(env))}"
    platform_vars = {k for k in env if k.startswith(("CDP_", "SPARK_", "MLFLOW_", "AIRFLOW_HOME", "DBT_"))}
    assert platform_vars <= set(ENV_VARS), f"not read by config: {sorted(platform_vars - set(ENV_VARS))}"
    assert env["SPARK_MASTER"].startswith("spark://spark-master:")
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"


def test_no_file_names_a_package_host():
    # Spelled in pieces so this test does not itself name a host.
    hosts = tuple(
        a + b
        for a, b in [
            ("pypi", ".org"),
            ("files.python", "hosted"),
            ("registry.", "npmjs"),
            ("hub.", "getdbt"),
            ("repo1.", "maven"),
            ("index-", "url"),
        ]
    )
    for path in REPO_ROOT.rglob("*"):
        if (
            any(part in {".venv", "data", ".git", "__pycache__", "target"} for part in path.parts)
            or not path.is_file()
        ):
            continue
        if path.suffix in {".parquet", ".png", ".duckdb", ".pyc"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert not any(host in text for host in hosts), path
    assert not (REPO_ROOT / "uv.lock").exists()


def test_compose_passes_the_source_and_start_date_settings():
    env = _env_example()
    platform_env = yaml.safe_load(COMPOSE.read_text())["x-platform-env"]
    for name in ("CDP_CONTRACTS_DIR", "CDP_SOURCES", "CDP_START_DATE"):
        assert platform_env.get(name) == f"${{{name}}}", f"{name} is not passed to the containers"
        assert name in env, f"{name} is not documented in .env.example"
    assert env["CDP_START_DATE"] == "2026-06-01"


def test_airflow_init_writes_the_dbt_manifest_the_nightly_dag_is_rendered_from():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["airflow-init"]["command"] == ["cdp", "init"]
    for name in ("airflow-scheduler", "airflow-dag-processor"):
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_the_image_copies_every_installed_package():
    import tomllib

    packages = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"][
        "find"
    ]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (REPO_ROOT / "Dockerfile").read_text(), flags=re.M))
    missing = [p.rstrip("*") for p in packages["include"] if p.rstrip("*") not in copied]
    assert not missing, f"Dockerfile does not copy {missing}"
