"""Baselines measured on the same landing files as the platform.

* DuckDB floor: recency / frequency / monetary in one SQL statement straight from the
  landing CSVs, the lower bound for "landing files to an RFM table" on this machine.
* The textbook script (`bench.textbook`): pandas + KMeans with silhouette over all rows.

Both run in their own interpreter (`python -m bench.baselines ...`) so their memory is
measured alone, not on top of the platform's already-loaded libraries.

Both baselines use the same simplified RFM (documented here, tested against a hand
computation): completed web-shop order lines keyed by CRM customer id plus till lines
keyed by loyalty id, else the lower-cased trimmed email; amount = quantity × unit price
in the file's currency; orders dated within the 365 days ending on the logical date;
recency = days since the last order, frequency = distinct orders, monetary = net amount.
Malformed lines are skipped. No identity resolution and no currency conversion: that is
what makes them a floor, not a replacement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil

from bench.monitor import MB, Stage, StageRecorder, tree_rss_bytes

RFM_WINDOW_DAYS = 365

RFM_SQL = """
with web_lines as (
    select
        order_id as order_key,
        customer_id as customer_key,
        try_cast(left(ordered_at, 10) as date) as order_date,
        try_cast(quantity as double) * try_cast(unit_price as double) as amount
    from read_csv($web_files, header = true, all_varchar = true, ignore_errors = true)
    where order_status = 'completed'
),
pos_lines as (
    select
        transaction_id as order_key,
        coalesce(nullif(trim(loyalty_id), ''), nullif(lower(trim(email)), '')) as customer_key,
        try_cast(left(transacted_at, 10) as date) as order_date,
        try_cast(quantity as double) * try_cast(unit_price as double) as amount
    from read_csv($pos_files, header = true, all_varchar = true, ignore_errors = true)
),
order_lines as (
    select * from web_lines
    union all
    select * from pos_lines
),
windowed as (
    select *
    from order_lines
    where customer_key is not null
        and amount is not null
        and order_date > $logical_date - to_days($window_days)
        and order_date <= $logical_date
),
final as (
    select
        customer_key,
        date_diff('day', max(order_date), $logical_date) as recency_days,
        count(distinct order_key) as frequency,
        sum(amount) as monetary
    from windowed
    group by customer_key
)
select * from final
"""


def order_files(landing_dir: Path, source: str, logical_date: str) -> list[str]:
    """The source's landing CSV files of every drop up to and including the logical date."""
    return sorted(
        str(path)
        for day_dir in (landing_dir / source).glob("*")
        if day_dir.is_dir() and day_dir.name <= logical_date
        for path in day_dir.glob("*.csv")
    )


def duckdb_rfm(landing_dir: Path, logical_date: str):
    """RFM per customer key from the landing CSVs in one DuckDB statement; returns a DuckDB relation result (pandas)."""
    import duckdb

    con = duckdb.connect()
    try:
        params = {
            "web_files": order_files(landing_dir, "web_orders", logical_date),
            "pos_files": order_files(landing_dir, "pos_orders", logical_date),
            "logical_date": date.fromisoformat(logical_date),
            "window_days": RFM_WINDOW_DAYS,
        }
        return con.execute(RFM_SQL, params).df()
    finally:
        con.close()


@dataclass
class MeasuredRun:
    """A subprocess run: exit code (None when stopped at the time cap), output, time, peak RSS."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float

    @property
    def timed_out(self) -> bool:
        """True when the run was stopped at its time cap."""
        return self.returncode is None


def _kill_tree(handle: psutil.Process) -> None:
    try:
        children = handle.children(recursive=True)
    except psutil.Error:
        children = []
    for process in [*children, handle]:
        try:
            process.kill()
        except psutil.Error:
            continue


def run_measured(command: list[str], timeout: float | None = None, interval: float = 0.25) -> MeasuredRun:
    """Run `command`, sampling its process tree's RSS; stop it (and its children) at `timeout` seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    handle = psutil.Process(process.pid)
    peak = 0
    # Output is collected by a reader thread inside communicate(); poll the tree meanwhile.
    box: dict[str, str] = {}

    def _collect() -> None:
        box["out"], box["err"] = process.communicate()

    reader = threading.Thread(target=_collect, daemon=True)
    reader.start()
    returncode: int | None = None
    try:
        while True:
            peak = max(peak, tree_rss_bytes(handle))
            reader.join(interval)
            if not reader.is_alive():
                returncode = process.returncode
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                _kill_tree(handle)
                reader.join()
                break
    except BaseException:
        # Interrupted (e.g. the benchmark is stopped): leave no orphaned child running.
        _kill_tree(handle)
        raise
    return MeasuredRun(
        returncode=returncode,
        stdout=box.get("out", ""),
        stderr=box.get("err", ""),
        seconds=round(time.perf_counter() - started, 3),
        peak_rss_mb=round(peak / MB, 1),
    )


def json_lines(text: str) -> list[dict]:
    """The JSON objects printed one per line in `text` (other lines are ignored)."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _measured_stage(name: str, module_args: list[str], timeout: float) -> tuple[Stage, list[dict]]:
    """Run `python -m <module_args>` under the time cap; a baseline Stage and the JSON lines it printed."""
    run = run_measured([sys.executable, "-m", *module_args], timeout=timeout)
    status = "ok" if run.returncode == 0 else ("timeout" if run.timed_out else "failed")
    stage = Stage(
        name=name,
        phase="baseline",
        seconds=run.seconds,
        peak_rss_mb=run.peak_rss_mb,
        status=status,
        note={"timeout": f"did not finish in {timeout:.0f} s", "failed": run.stderr[-300:]}.get(status, ""),
    )
    return stage, json_lines(run.stdout)


def measure_baselines(recorder: StageRecorder, landing_dir: Path, logical_date: str, timeout: float) -> None:
    """The DuckDB floor and the capped textbook script on the same landing files, each in its own interpreter."""
    where = ["--landing", str(landing_dir), "--date", logical_date]
    floor, lines = _measured_stage("duckdb rfm floor", ["bench.baselines", "duckdb", *where], timeout)
    output = (lines or [{}])[-1]
    floor.rows_out = output.get("customers")
    floor.detail = {"sql_seconds": output.get("seconds"), **output}
    recorder.add(floor)
    textbook, steps = _measured_stage("textbook pandas + kmeans", ["bench.textbook", *where], timeout)
    done = next((s for s in steps if s["step"] == "done"), None)
    silhouettes = [s for s in steps if s["step"] == "silhouette"]
    rfm = next((s for s in steps if s["step"] == "rfm"), {})
    textbook.rows_out = rfm.get("customers")
    if textbook.status == "timeout":
        textbook.note += f"; silhouette done for k = {', '.join(str(s['k']) for s in silhouettes) or 'none'}"
    textbook.detail = {
        "rfm_seconds": rfm.get("elapsed"),
        "best_k": done and done["best_k"],
        "silhouettes": {s["k"]: s["silhouette"] for s in silhouettes},
        "timeout_s": timeout,
    }
    recorder.add(textbook)


def _cmd_duckdb(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    rfm = duckdb_rfm(Path(args.landing), args.date)
    seconds = time.perf_counter() - started
    summary = {
        "customers": len(rfm),
        "seconds": round(seconds, 3),
        "frequency_total": int(rfm["frequency"].sum()),
        "monetary_total": round(float(rfm["monetary"].sum()), 2),
        "mean_recency_days": round(float(rfm["recency_days"].mean()), 3) if len(rfm) else None,
    }
    print(json.dumps(summary))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.baselines duckdb --landing DIR --date D` (the textbook script is bench.textbook)."""
    parser = argparse.ArgumentParser(prog="python -m bench.baselines")
    sub = parser.add_subparsers(dest="command", required=True)
    floor = sub.add_parser("duckdb", help="RFM in one DuckDB statement from the landing CSVs")
    floor.add_argument("--landing", required=True)
    floor.add_argument("--date", required=True)
    floor.set_defaults(func=_cmd_duckdb)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
