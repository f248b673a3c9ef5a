"""The compose file's services as real processes on this machine, started and stopped by the tier.

PostgreSQL (the operating system's binaries, run as an unprivileged user in a temporary folder),
a Spark standalone master and worker (pyspark's `spark-class`), the MLflow tracking server, and
Airflow's api-server, scheduler and dag-processor with the LocalExecutor. Every process gets the
environment of `tests.scaleout.environment` and logs to a file under the stack's root.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from customer_platform.config import REPO_ROOT
from tests.scaleout.environment import STACK_MARKER, Layout, Ports, env_example

#: The unprivileged account PostgreSQL runs as when the tier runs as root (initdb refuses root).
POSTGRES_ACCOUNT = "postgres"


class StackError(RuntimeError):
    """A component did not start, or a command of the stack failed (the message quotes its log)."""


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file (empty when there is none)."""
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_until(check, timeout: float, what: str, log: Path | None = None, interval: float = 1.0):
    """Poll `check()` until it returns something truthy; StackError naming `what` (and the log tail) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # not up yet: connection refused, table missing, ...
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise StackError(f"{what}: not ready after {timeout:.0f} s\n{log_tail(log) if log else ''}")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    """Whether GET `url` answers 2xx (what `curl --fail` checks)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return 200 <= response.status < 300


def http_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def postgres_bin(name: str) -> Path:
    """A PostgreSQL server binary from the operating system's packages (newest major version)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise StackError(f"PostgreSQL's {name} is missing: apt-get install postgresql (.ci/run does)")
    return Path(found)


@dataclass
class Service:
    """One long-running process of the stack (its own process group) and its log."""

    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Stack:
    """Start the components one by one; `stop()` ends every process started, whatever happened."""

    layout: Layout
    ports: Ports
    env: dict[str, str]
    services: list[Service] = field(default_factory=list)
    postgres_started: bool = False
    started_at: float = field(default_factory=time.monotonic)
    #: libpq variables of the compose file's init script (PGHOST, PGPORT, PGPASSWORD, POSTGRES_*).
    psql_env: dict[str, str] = field(default_factory=dict)

    # Processes -------------------------------------------------------------------------------
    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> Service:
        """Start a long-running process in its own process group, output to logs/<name>.log."""
        self.layout.logs_dir.mkdir(parents=True, exist_ok=True)
        log = self.layout.logs_dir / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv,
                env={**self.env, **(extra_env or {})},
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def run(self, name: str, argv: list[str], timeout: float, extra_env: dict[str, str] | None = None) -> str:
        """Run a command to completion (output to logs/<name>.log); StackError with its log tail unless it exits 0."""
        self.layout.logs_dir.mkdir(parents=True, exist_ok=True)
        log = self.layout.logs_dir / f"{name}.log"
        with log.open("ab") as out:
            completed = subprocess.run(
                argv,
                env={**self.env, **(extra_env or {})},
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                start_new_session=True,
                check=False,
            )
        if completed.returncode != 0:
            raise StackError(f"{' '.join(argv[:4])} exited {completed.returncode}:\n{log_tail(log)}")
        return log.read_text(encoding="utf-8", errors="replace")

    def require_alive(self, service: Service) -> bool:
        if not service.alive():
            raise StackError(f"{service.name} exited {service.process.returncode}:\n{log_tail(service.log)}")
        return True

    # PostgreSQL ------------------------------------------------------------------------------
    def postgres_user(self) -> list[str]:
        """How to run PostgreSQL's tools: as `postgres` when this process is root, else as itself."""
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam(POSTGRES_ACCOUNT)
        except KeyError as missing:
            raise StackError(
                f"no {POSTGRES_ACCOUNT!r} account to run PostgreSQL as: apt-get install postgresql"
            ) from missing
        return ["runuser", "-u", POSTGRES_ACCOUNT, "--"]

    def start_postgres(self) -> None:
        """initdb with the compose file's user and password (password login over TCP), start, create the MLflow database."""
        env_file = env_example()
        folder = self.layout.postgres_dir
        folder.mkdir(parents=True)
        password_file = folder / "password"
        password_file.write_text(env_file["POSTGRES_PASSWORD"] + "\n", encoding="utf-8")
        as_owner = self.postgres_user()
        if as_owner:
            shutil.chown(folder, POSTGRES_ACCOUNT)
            shutil.chown(password_file, POSTGRES_ACCOUNT)
        self.run(
            "postgres-initdb",
            [
                *as_owner,
                str(postgres_bin("initdb")),
                f"--pgdata={folder / 'cluster'}",
                f"--username={env_file['POSTGRES_USER']}",
                f"--pwfile={password_file}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
            ],
            timeout=120,
        )
        options = f"-p {self.ports.postgres} -k {folder} -c listen_addresses=127.0.0.1"
        self.postgres_started = True
        self.run(
            "postgres-start",
            [*as_owner, str(postgres_bin("pg_ctl")), "-D", str(folder / "cluster"), "-o", options]
            + ["-l", str(folder / "server.log"), "-w", "-t", "120", "start"],
            timeout=180,
        )
        # Airflow's database, then the compose file's own init script creates MLflow's beside it.
        self.psql_env = {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.ports.postgres),
            "PGPASSWORD": env_file["POSTGRES_PASSWORD"],
            "POSTGRES_USER": env_file["POSTGRES_USER"],
            "POSTGRES_DB": env_file["POSTGRES_DB"],
            "POSTGRES_MLFLOW_DB": env_file["POSTGRES_MLFLOW_DB"],
        }
        self.run(
            "postgres-createdb",
            ["psql", "-v", "ON_ERROR_STOP=1", "-U", env_file["POSTGRES_USER"], "-d", "postgres"]
            + ["-c", f"CREATE DATABASE {env_file['POSTGRES_DB']}"],
            timeout=60,
            extra_env=self.psql_env,
        )
        self.run(
            "postgres-init-scripts",
            ["bash", str(REPO_ROOT / "scripts" / "postgres" / "create-mlflow-db.sh")],
            timeout=60,
            extra_env=self.psql_env,
        )

    def query(self, database_key: str, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one query on the stack's PostgreSQL (database_key: POSTGRES_DB or POSTGRES_MLFLOW_DB)."""
        env_file = env_example()
        with (
            psycopg2.connect(
                host="127.0.0.1",
                port=self.ports.postgres,
                user=env_file["POSTGRES_USER"],
                password=env_file["POSTGRES_PASSWORD"],
                dbname=env_file[database_key],
                connect_timeout=10,
            ) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        connection.close()
        return rows

    # Stopping --------------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Stop every service (newest first), then PostgreSQL; returns what had to be killed."""
        killed: list[str] = []
        for service in reversed(self.services):
            if service.alive():
                _signal_group(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 45
        for service in reversed(self.services):
            try:
                service.process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(service.name)
                _signal_group(service.process.pid, signal.SIGKILL)
                service.process.wait(timeout=30)
            # Children that left the group (or outlived their parent) still carry the marker.
            _signal_group(service.process.pid, signal.SIGKILL)
        if self.postgres_started:
            subprocess.run(
                [
                    *self.postgres_user(),
                    str(postgres_bin("pg_ctl")),
                    "-D",
                    str(self.layout.postgres_dir / "cluster"),
                ]
                + ["-m", "fast", "-w", "-t", "60", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            self.postgres_started = False
        for pid in self.leftovers():
            killed.append(f"pid {pid}")
            _kill_pid(pid)
        return killed

    def leftovers(self) -> list[int]:
        """Pids of live processes started by this stack (they carry its marker), this process excluded."""
        marker = f"{STACK_MARKER}={self.layout.root}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                status = (entry / "stat").read_text()
            except OSError:
                continue
            zombie = status.rsplit(")", 1)[-1].split()[0] == "Z"
            if marker in environ.split(b"\0") and not zombie:
                found.append(int(entry.name))
        return found


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
