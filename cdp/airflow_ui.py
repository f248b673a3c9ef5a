"""`cdp ui`: the Airflow UI over the platform's Airflow home (embedded defaults), on 127.0.0.1.

Starts the API server (the UI), the scheduler and the DAG processor with the platform's
environment (its DAG folder, no example DAGs, the venv's `bin/` first on PATH), waits until the
UI answers, prints its address and the login of Airflow's simple auth manager, and stops every
component with it on Ctrl-C or SIGTERM. Anything that keeps it from starting (no Airflow home
yet, a busy port, a component that exits) ends it with one line saying what to do.

`airflow standalone` does much the same, but binds every interface, starts 32 executor
workers on a 2-core machine and cannot pick its log-server ports, so a second instance fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cdp.airflow_env import airflow_bin, airflow_env, settle_config
from customer_platform.config import Settings, get_settings

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
COMPONENTS = ("api-server", "scheduler", "dag-processor")
#: The simple auth manager's user (`[core] simple_auth_manager_users` default `admin:admin`).
USER = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"


class UiError(Exception):
    """Why the UI cannot start or stopped, in one line."""


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def check_ready(settings: Settings, port: int) -> None:
    """Raise UiError when the Airflow home is missing or the port is taken."""
    config = settings.airflow_home / "airflow.cfg"
    if not config.is_file():
        raise UiError(f"no Airflow home at {settings.airflow_home}: run `cdp run` first")
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise UiError(
                f"port {port} on {HOST} is busy ({error.strerror}): choose another with --port"
            ) from error


def ui_env(settings: Settings, port: int, log_server_port: int) -> dict[str, str]:
    """The components' environment: the platform's Airflow settings, this address, a small executor."""
    env = airflow_env(settings)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])  # Airflow starts its workers by name
    env.update(
        {
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://{HOST}:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{port}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_server_port),
        }
    )
    env.setdefault("AIRFLOW__CORE__PARALLELISM", "2")  # one Spark or dbt task per core
    return env


def read_password(settings: Settings) -> str | None:
    """The generated password of the admin user, once the API server has written it."""
    path = Path(
        os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
        or settings.airflow_home / PASSWORDS_FILE
    )
    try:
        return json.loads(path.read_text(encoding="utf-8")).get(USER)
    except (OSError, ValueError):
        return None


@dataclass
class Components:
    """The running Airflow processes, each in its own process group, with its output in a log file."""

    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, env: dict[str, str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in COMPONENTS:
            with (self.log_dir / f"{name}.log").open("w", encoding="utf-8") as out:
                self.processes[name] = subprocess.Popen(
                    [airflow_bin(), name],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches cdp only; cdp stops the groups
                )

    def exited(self) -> tuple[str, int] | None:
        """The first component that has exited, with its code."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM every component's process group, then SIGKILL what is left after `grace` seconds."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)  # workers a component left behind


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until_up(url: str, components: Components, timeout: float) -> None:
    """Poll the API server's health endpoint until it answers; UiError when a component exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone := components.exited():
            name, code = gone
            raise UiError(
                f"airflow {name} exited with {code} while starting; its log: {components.log_dir / name}.log"
            )
        try:
            with urllib.request.urlopen(url + "api/v2/monitor/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise UiError(f"the Airflow UI did not answer within {timeout:.0f} s; logs in {components.log_dir}")


def serve(port: int = DEFAULT_PORT, timeout: float = 180.0, settings: Settings | None = None) -> int:
    """Run the UI until Ctrl-C / SIGTERM or a component exits; returns the exit code."""
    settings = settings or get_settings()
    try:
        check_ready(settings, port)
    except UiError as error:
        print(f"cdp ui: {error}", file=sys.stderr)
        return 2
    settle_config(settings.airflow_home / "airflow.cfg")  # a home made before examples were turned off
    url = f"http://{HOST}:{port}/"
    components = Components(settings.airflow_home / "logs" / "cdp_ui")
    restore = _stop_on(signal.SIGTERM, signal.SIGHUP)
    try:
        components.start(ui_env(settings, port, free_local_port()))
        print(f"starting the Airflow UI ({', '.join(COMPONENTS)}); logs in {components.log_dir}", flush=True)
        wait_until_up(url, components, timeout)
        print(f"Airflow UI: {url}", flush=True)
        print(f"  login: {USER} / {read_password(settings) or '(see ' + PASSWORDS_FILE + ')'}", flush=True)
        print(f"  Airflow home: {settings.airflow_home}; Ctrl-C stops it", flush=True)
        while not (gone := components.exited()):
            time.sleep(1)
        name, code = gone
        raise UiError(f"airflow {name} exited with {code}; its log: {components.log_dir / name}.log")
    except UiError as error:
        print(f"cdp ui: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping the Airflow UI", flush=True)
        return 0
    finally:
        components.stop()
        restore()


def _stop_on(*signals: int) -> Callable[[], None]:
    """Turn these signals into KeyboardInterrupt (as Ctrl-C); returns a function restoring the handlers."""
    previous = {signum: signal.getsignal(signum) for signum in signals}

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for signum in signals:
        signal.signal(signum, interrupt)
    return lambda: [signal.signal(signum, handler) for signum, handler in previous.items()]


def port_number(value: str) -> int:
    """An argparse type: a TCP port 0..65535 (0: any free port)."""
    try:
        port = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from exc
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {port}")
    return port


def add_ui_command(sub: argparse._SubParsersAction) -> None:
    """Register `ui` on the `cdp` parser."""
    ui = sub.add_parser(
        "ui", help="open the Airflow UI over the platform's Airflow home on 127.0.0.1 (Ctrl-C stops it)"
    )
    ui.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port on {HOST} (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    ui.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for the UI to answer (default 180)"
    )
    ui.set_defaults(func=lambda args: serve(args.port or free_local_port(), args.timeout))
