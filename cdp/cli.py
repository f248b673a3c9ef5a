"""`cdp`: the platform's command line. It only parses arguments and calls package code."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta

from customer_platform.config import get_settings
from customer_platform.registry import get_registry


def _iso_date(value: str) -> str:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {value!r}") from exc
    return value


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {number}")
    return number


def _landing_has_data() -> bool:
    landing = get_settings().landing_dir
    return landing.exists() and any(p for p in landing.iterdir() if p.name != "_truth")


def _landing_dates() -> list[str]:
    landing = get_settings().landing_dir
    dates = {p.name for source in get_registry().active for p in (landing / source).glob("*") if p.is_dir()}
    return sorted(dates)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the demo dataset (delegates to `datagen`)."""
    from datagen.cli import main as datagen_main

    argv = ["generate", "--customers", str(args.customers), "--start", args.start, "--end", args.end,
            "--seed", str(args.seed)]
    if args.force:
        argv.append("--force")
    return datagen_main(argv)


def cmd_initial_load(args: argparse.Namespace) -> int:
    """Ingest every landing date before --until that has no manifest yet (history load)."""
    return initial_load(args.until, stop_spark=True)


def initial_load(until: str, stop_spark: bool) -> int:
    """Ingest the landing dates before `until` not ingested yet.

    stop_spark: free the JVM afterwards (before Airflow starts its own Spark for the nightly run).
    """
    from spark_jobs.ingest import ingest_dates

    settings = get_settings()
    dates = [d for d in _landing_dates() if d < until]
    pending = {
        source: [d for d in dates
                 if not (settings.manifests_dir / source / f"ingest_date={d}" / "manifest.json").exists()]
        for source in get_registry().active
    }
    if not any(pending.values()):
        print(f"initial load: all {len(dates)} dates before {until} already ingested")
        return 0
    from spark_jobs.session import get_spark

    try:
        for source, todo in pending.items():
            if not todo:
                continue
            started = time.monotonic()
            manifests = ingest_dates(source, todo, run_id=f"initial_load__{until}")
            rows = sum(int(m.get("rows_read", 0)) for m in manifests)
            seconds = time.monotonic() - started
            print(f"initial load: {source}: {len(todo)} dates, {rows:,} rows in {seconds:.1f} s "
                  f"({rows / max(seconds, 1e-9):,.0f} rows/s)")
    finally:
        if stop_spark:
            get_spark().stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: demo data if absent, history load, then the nightly DAG for the date."""
    from cdp.airflow_env import dags_test, init_airflow
    from cdp.summary import collect_summary, format_summary

    settings = get_settings()
    logical_date = args.date or settings.default_logical_date
    started = time.monotonic()
    if not _landing_has_data():
        print(f"generating the demo dataset ({settings.demo_customers:,} customers, "
              f"{settings.demo_start_date}..{settings.demo_end_date}) under {settings.landing_dir}")
        gen = argparse.Namespace(customers=settings.demo_customers, start=settings.demo_start_date,
                                 end=settings.demo_end_date, seed=settings.seed, force=False)
        if cmd_generate(gen) != 0:
            return 1
    else:
        print(f"reusing landing data under {settings.landing_dir}")
    if cmd_initial_load(argparse.Namespace(until=logical_date)) != 0:
        return 1
    init_airflow(settings)
    print(f"running customer_platform_nightly for {logical_date} (airflow dags test)")
    code, log_path = dags_test("customer_platform_nightly", logical_date, settings)
    if code != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-80:]
        print("\n".join(tail), file=sys.stderr)
        print(f"\ncustomer_platform_nightly failed for {logical_date} (exit {code}). Full log: {log_path}; "
              f"failure records: {settings.run_summaries_dir / 'failures.jsonl'}", file=sys.stderr)
        return code
    print()
    print(format_summary(collect_summary(logical_date)))
    print(f"\nfinished in {time.monotonic() - started:.0f} s")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    """Run the nightly pipeline for every date from --start to --end, oldest first."""
    from cdp.backfill import airflow_runner, backfill, date_range, in_process_runner

    settings = get_settings()
    try:
        dates = date_range(args.start, args.end)
    except ValueError as exc:
        print(f"cdp backfill: argument --end: {exc}", file=sys.stderr)
        return 2
    # Dates before the window that were delivered but never ingested are history for it.
    if initial_load(args.start, stop_spark=not args.in_process) != 0:
        return 1
    if args.in_process:
        runner = in_process_runner
    else:
        from cdp.airflow_env import init_airflow

        init_airflow(settings)
        runner = airflow_runner
    print(f"backfilling customer_platform_nightly for {len(dates)} dates, {args.start}..{args.end}")
    started = time.monotonic()
    result = backfill(args.start, args.end, runner)
    for ds, code in result.codes.items():
        print(f"  {ds}: {'success' if code == 0 else f'failed (exit {code})'}")
    if not result.ok:
        print(f"backfill stopped at {result.failed_date}; not run: {', '.join(result.skipped) or 'none'}. "
              f"Failure records: {settings.run_summaries_dir / 'failures.jsonl'}. After repairing, resume with "
              f"`cdp backfill --start {result.failed_date} --end {args.end}`.", file=sys.stderr)
        return 1
    print(f"backfill finished in {time.monotonic() - started:.0f} s")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs site (data dictionary and lineage) from the current warehouse."""
    from customer_platform.warehouse import dbt_docs_generate, dbt_target_dir

    dbt_docs_generate()
    target = dbt_target_dir()
    print(f"dbt docs written to {target}\n  open {target / 'static_index.html'} in a browser, or serve it:\n"
          f"  {sys.executable} -m http.server 8080 --directory {target}")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Run a read-only SQL query against the warehouse and print the result."""
    import duckdb

    con = duckdb.connect(str(get_settings().warehouse_path), read_only=True)
    try:
        con.sql(args.sql).show(max_rows=args.max_rows)
    finally:
        con.close()
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase one person from every layer and suppress them from later runs; prints the audit record."""
    from privacy.request import ErasureRequest, ErasureRequestError, erase_person

    conf = {"email": args.email, "phone": args.phone, "crm_customer_id": args.customer_id,
            "request_id": args.request_id}
    try:
        request = ErasureRequest.from_conf(conf)
    except ErasureRequestError as exc:
        print(f"cdp erase: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(erase_person(request), indent=2))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from cdp.summary import collect_summary, format_summary

    summary = collect_summary(args.date)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    for key, value in get_settings().describe().items():
        print(f"{key} = {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="cdp", description="Customer data platform command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the nightly pipeline for a logical date (generates demo data if absent)")
    run.add_argument("--date", type=_iso_date, help=f"logical date (default {settings.default_logical_date})")
    run.set_defaults(func=cmd_run)

    fill = sub.add_parser("backfill", help="run the nightly pipeline for a range of dates, oldest first")
    fill.add_argument("--start", type=_iso_date, required=True, help="first logical date")
    fill.add_argument("--end", type=_iso_date, required=True, help="last logical date (inclusive)")
    fill.add_argument("--in-process", action="store_true",
                      help="run the DAG's task bodies directly instead of `airflow dags test`")
    fill.set_defaults(func=cmd_backfill)

    gen = sub.add_parser("generate", help="generate synthetic landing data")
    gen.add_argument("--customers", type=_positive_int, default=settings.demo_customers)
    gen.add_argument("--start", type=_iso_date, default=settings.demo_start_date)
    gen.add_argument("--end", type=_iso_date, default=settings.demo_end_date)
    gen.add_argument("--seed", type=int, default=settings.seed)
    gen.add_argument("--force", action="store_true", help="overwrite an existing landing directory")
    gen.set_defaults(func=cmd_generate)

    load = sub.add_parser("initial-load", help="ingest every landing date before --until not yet ingested")
    load.add_argument("--until", type=_iso_date, default=(date.fromisoformat(settings.default_logical_date)
                                                          + timedelta(days=1)).isoformat())
    load.set_defaults(func=cmd_initial_load)

    docs = sub.add_parser("docs", help="generate the dbt docs site (run it when no build is writing)")
    docs.set_defaults(func=cmd_docs)

    query = sub.add_parser("query", help="read-only SQL against the warehouse")
    query.add_argument("sql")
    query.add_argument("--max-rows", type=_positive_int, default=40)
    query.set_defaults(func=cmd_query)

    summary = sub.add_parser("summary", help="print the run summary for a logical date")
    summary.add_argument("--date", type=_iso_date, default=settings.default_logical_date)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    erase = sub.add_parser("erase", help="erase one person everywhere (right to be forgotten)")
    erase.add_argument("--email", action="append", default=[], help="an email of the person (repeatable)")
    erase.add_argument("--phone", action="append", default=[], help="a phone number of the person (repeatable)")
    erase.add_argument("--customer-id", action="append", default=[], help="a CRM customer id (repeatable)")
    erase.add_argument("--request-id", help="ticket id recorded in the audit (default: derived, no PII)")
    erase.set_defaults(func=cmd_erase)

    config = sub.add_parser("config", help="print the resolved configuration")
    config.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
