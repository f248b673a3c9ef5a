"""Starting the stack's components in the compose file's order, and one nightly run through the scheduler."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.scaleout.environment import health_url, service_command
from tests.scaleout.stack import Stack, StackError, http_json, http_ok, log_tail, wait_until

NIGHTLY_DAG = "customer_platform_nightly"
#: Worker size: small beside everything else on two cores (the compose file gives its worker 2 cores, 4g).
WORKER_CORES = "1"
WORKER_MEMORY = "2g"
DONE = ("success", "failed")


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def spark_master_state(stack: Stack) -> dict:
    """The standalone master's own JSON view: workers, running and completed applications."""
    return http_json(f"http://127.0.0.1:{stack.ports.spark_master_ui}/json/")


def start_spark(stack: Stack) -> None:
    """A standalone master and one worker from the pyspark distribution (`spark-class`, as the compose file runs them)."""
    spark_class = str(spark_home() / "bin" / "spark-class")
    home = {"SPARK_HOME": str(spark_home())}
    master = stack.start(
        "spark-master",
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
        + ["--port", str(stack.ports.spark_master), "--webui-port", str(stack.ports.spark_master_ui)],
        home,
    )
    url = health_url("spark-master", stack.ports, stack.layout)
    wait_until(lambda: stack.require_alive(master) and http_ok(url), 180, "Spark master", master.log)
    (stack.layout.root / "spark-work").mkdir(exist_ok=True)
    worker = stack.start(
        "spark-worker",
        [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1"]
        + [
            "--webui-port",
            str(stack.ports.spark_worker_ui),
            "--cores",
            WORKER_CORES,
            "--memory",
            WORKER_MEMORY,
        ]
        + ["--work-dir", str(stack.layout.root / "spark-work"), stack.env["SPARK_MASTER"]],
        home,
    )
    wait_until(
        lambda: stack.require_alive(worker) and spark_master_state(stack).get("aliveworkers", 0) >= 1,
        180,
        "Spark worker registered with the master",
        worker.log,
    )


def start_mlflow(stack: Stack) -> None:
    """The compose file's MLflow server command: PostgreSQL backend store, proxied artifact store."""
    stack.layout.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
    server = stack.start("mlflow", service_command("mlflow", stack.ports, stack.layout))
    url = health_url("mlflow", stack.ports, stack.layout)
    wait_until(lambda: stack.require_alive(server) and http_ok(url), 300, "MLflow server", server.log)


def prepare_history(stack: Stack, customers: int, first_date: str, logical_date: str) -> None:
    """A small generated dataset, and its history before the logical date loaded on the cluster."""
    stack.run(
        "datagen",
        [sys.executable, "-m", "datagen", "generate", "--customers", str(customers), "--start", first_date]
        + ["--end", logical_date, "--seed", "7", "--no-progress"],
        timeout=600,
    )
    stack.run(
        "initial-load",
        [str(Path(sys.executable).with_name("cdp")), "initial-load", "--until", logical_date],
        1200,
    )


def start_airflow(stack: Stack) -> None:
    """airflow-init (`cdp init`), then the api-server, scheduler and dag-processor; waits for the nightly DAG."""
    stack.run("airflow-init", service_command("airflow-init", stack.ports, stack.layout), timeout=900)
    api = stack.start(
        "airflow-apiserver",
        service_command("airflow-apiserver", stack.ports, stack.layout)
        + ["--host", "127.0.0.1", "--port", str(stack.ports.airflow_apiserver)],
    )
    services = [api]
    for name in ("airflow-scheduler", "airflow-dag-processor"):
        services.append(stack.start(name, service_command(name, stack.ports, stack.layout)))
    url = health_url("airflow-apiserver", stack.ports, stack.layout)
    wait_until(lambda: stack.require_alive(api) and http_ok(url), 300, "Airflow api-server", api.log)
    processor = services[-1]

    def parsed() -> bool:
        for service in services:
            stack.require_alive(service)
        return bool(
            stack.query("POSTGRES_DB", "select 1 from serialized_dag where dag_id = %s", (NIGHTLY_DAG,))
        )

    wait_until(parsed, 600, f"{NIGHTLY_DAG} parsed into the metadata database", processor.log, interval=3)


@dataclass
class Night:
    """One triggered nightly run: its id, final state, wall time and every task instance's state."""

    run_id: str
    logical_date: str
    state: str
    seconds: float
    task_states: dict[str, str] = field(default_factory=dict)
    failure: str = ""


def task_states(stack: Stack, run_id: str) -> dict[str, str]:
    rows = stack.query(
        "POSTGRES_DB",
        "select task_id, coalesce(state, '') from task_instance where dag_id = %s and run_id = %s",
        (NIGHTLY_DAG, run_id),
    )
    return dict(rows)


def failure_report(stack: Stack, run_id: str, states: dict[str, str]) -> str:
    """The unfinished tasks and the tail of each failed task's log (or the scheduler's when none ran)."""
    bad = {task: state for task, state in sorted(states.items()) if state not in ("success", "skipped")}
    lines = [f"tasks not done: {bad or 'none'}"]
    logs = stack.layout.airflow_home / "logs" / f"dag_id={NIGHTLY_DAG}" / f"run_id={run_id}"
    for task, state in bad.items():
        if state in ("failed", "up_for_retry"):
            for attempt in sorted((logs / f"task_id={task}").glob("**/attempt=*.log")):
                lines += [f"--- {attempt.relative_to(logs)} ---", log_tail(attempt, 60)]
    if len(lines) == 1 or not any(state == "failed" for state in bad.values()):
        lines += ["--- scheduler ---", log_tail(stack.layout.logs_dir / "airflow-scheduler.log", 60)]
    return "\n".join(lines)


def trigger_night(stack: Stack, logical_date: str, timeout: float) -> Night:
    """Unpause the nightly DAG, trigger it for one logical date, wait until the scheduler finishes it."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    run_id = f"scaleout__{logical_date}"
    stack.run("airflow-unpause", [airflow, "dags", "unpause", NIGHTLY_DAG], timeout=300)
    started = time.monotonic()
    stack.run(
        "airflow-trigger",
        [airflow, "dags", "trigger", NIGHTLY_DAG, "--logical-date", f"{logical_date}T00:00:00+00:00"]
        + ["--run-id", run_id],
        timeout=300,
    )

    def finished() -> str | None:
        for service in stack.services:
            stack.require_alive(service)
        rows = stack.query("POSTGRES_DB", "select state from dag_run where run_id = %s", (run_id,))
        return rows[0][0] if rows and rows[0][0] in DONE else None

    try:
        state = wait_until(finished, timeout, f"{NIGHTLY_DAG} run {run_id}", interval=5)
    except StackError as error:
        states = task_states(stack, run_id)
        raise StackError(f"{error}\n{failure_report(stack, run_id, states)}") from error
    states = task_states(stack, run_id)
    night = Night(run_id, logical_date, state, time.monotonic() - started, states)
    if state != "success":
        night.failure = failure_report(stack, run_id, states)
    return night
