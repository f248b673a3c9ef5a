"""`cdp erase`: erase one person in this process, or queue the request for the `customer_erasure` DAG.

    cdp erase --email ann@example.com --phone "+44 7700 900123"            # in this process
    cdp erase --queue --email ann@example.com                               # queue; trigger the DAG yourself
    cdp erase --airflow --email ann@example.com                             # queue and run the DAG now

A queued request's identifiers wait in an owner-only file (`privacy.queue`); the DAG is
triggered with `{"request_id": ...}` only, so Airflow's database and logs never hold them.
`--airflow` runs the DAG with `airflow dags test` on the embedded Airflow (its log goes to
`data/runs/customer_erasure__<request id>.log`) and prints the audit record.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdp.airflow_env import airflow, airflow_env, task_states
from customer_platform.config import Settings, get_settings
from customer_platform.warehouse import WAREHOUSE_POOL

ERASURE_DAG = "customer_erasure"
_RUN_FINISHED = re.compile(r"DagRun Finished: .*?run_id=([^,\s]+),.*?state=(\w+)")


def add_erase_command(sub: Any) -> None:
    """The `erase` subcommand."""
    erase = sub.add_parser("erase", help="erase one person everywhere (right to be forgotten)")
    erase.add_argument("--email", action="append", default=[], help="an email of the person (repeatable)")
    erase.add_argument(
        "--phone", action="append", default=[], help="a phone number of the person (repeatable)"
    )
    erase.add_argument("--customer-id", action="append", default=[], help="a CRM customer id (repeatable)")
    erase.add_argument("--request-id", help="ticket id recorded in the audit (default: derived, no PII)")
    how = erase.add_mutually_exclusive_group()
    how.add_argument(
        "--queue",
        action="store_true",
        help="queue the request for the customer_erasure DAG; print its request id",
    )
    how.add_argument(
        "--airflow", action="store_true", help="queue the request and run the customer_erasure DAG now"
    )
    erase.set_defaults(func=cmd_erase)


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase (or queue) one person; prints the audit record, or the request id to trigger the DAG with."""
    from privacy.erase import erase_person
    from privacy.queue import queue_request
    from privacy.request import ErasureRequest, ErasureRequestError

    conf = {"email": args.email, "phone": args.phone, "crm_customer_id": args.customer_id,
            "request_id": args.request_id}  # fmt: skip
    try:
        request = ErasureRequest.from_conf(conf)
    except ErasureRequestError as exc:
        print(f"cdp erase: {exc}", file=sys.stderr)
        return 2
    if not (args.queue or args.airflow):
        print(json.dumps(erase_person(request), indent=2))
        return 0
    path = queue_request(request)
    if args.queue:
        print(f"queued {request.request_id} ({path}); trigger it with")
        print(
            f"  airflow dags trigger {ERASURE_DAG} --conf '{json.dumps({'request_id': request.request_id})}'"
        )
        return 0
    return run_erasure_dag(request.request_id)


def run_erasure_dag(request_id: str, settings: Settings | None = None) -> int:
    """Run the erasure DAG for a queued request with `airflow dags test`; print the audit record."""
    settings = settings or get_settings()
    airflow(["db", "migrate"], settings)
    airflow(
        ["pools", "set", WAREHOUSE_POOL, "1", "DuckDB is single-writer: every warehouse writer"], settings
    )
    log_path = settings.run_summaries_dir / f"{ERASURE_DAG}__{request_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    dag_file = Path(airflow_env(settings)["AIRFLOW__CORE__DAGS_FOLDER"]) / f"{ERASURE_DAG}.py"
    command = [str(Path(sys.executable).with_name("airflow")), "dags", "test", ERASURE_DAG,
               datetime.now(UTC).date().isoformat(), "--conf", json.dumps({"request_id": request_id}),
               "--dagfile-path", str(dag_file)]  # fmt: skip
    with log_path.open("w", encoding="utf-8") as log_file:
        completed = subprocess.run(
            command, env=airflow_env(settings), stdout=log_file, stderr=subprocess.STDOUT
        )
    finished = _RUN_FINISHED.findall(log_path.read_text(encoding="utf-8", errors="replace"))
    states = task_states(ERASURE_DAG, finished[-1][0], settings) if finished else {}
    failed = {t: s for t, s in states.items() if s not in ("success", "skipped")}
    if completed.returncode or not states or failed:
        print(
            f"cdp erase: {ERASURE_DAG} did not finish (tasks: {failed or 'none ran'}); log {log_path}",
            file=sys.stderr,
        )
        return completed.returncode or 1
    print(json.dumps(_audit_record(request_id, settings), indent=2))
    return 0


def _audit_record(request_id: str, settings: Settings) -> dict[str, Any]:
    """The last audit record of a request (the erasure log holds ids and counts only)."""
    records = [
        json.loads(line) for line in settings.erasure_audit_path.read_text(encoding="utf-8").splitlines()
    ]
    return next(r for r in reversed(records) if r["request_id"] == request_id)
