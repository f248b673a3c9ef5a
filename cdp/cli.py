"""`cdp`: the platform's command line. It only parses arguments and calls package code (`cdp.commands`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from cdp import commands
from cdp.activation_commands import add_activation_commands
from cdp.airflow_ui import add_ui_command
from cdp.dashboard_command import add_dashboard_command
from cdp.erase_command import add_erase_command
from cdp.identity_command import add_identity_command
from cdp.summary import collect_summary, format_summary
from customer_platform.cli_args import iso_date, logical_date, settings_or_exit
from customer_platform.config import get_settings
from customer_platform.restricted_store import restrict_new_files, seal_if_used_here


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from exc
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {number}")
    return number


def _relation(value: str) -> tuple[str, str]:
    role, sep, source = value.partition("=")
    if not sep or not role.strip() or not source.strip():
        raise argparse.ArgumentTypeError(f"expected ROLE=SOURCE (e.g. payments=shop_payments), got {value!r}")
    return role.strip(), source.strip()


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: demo data if absent, history load, then the nightly DAG for the date."""
    return commands.run_date(args.date)


def cmd_backfill(args: argparse.Namespace) -> int:
    """Run the nightly pipeline for every date from --start to --end, oldest first."""
    return commands.backfill_window(args.start, args.end, in_process=args.in_process)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the demo dataset."""
    return commands.generate_demo(args.customers, args.start, args.end, args.seed, force=args.force)


def cmd_initial_load(args: argparse.Namespace) -> int:
    """Ingest every landing date before --until that has no manifest yet (history load)."""
    return commands.initial_load(args.until, stop_spark=True)


def cmd_init(args: argparse.Namespace) -> int:
    """Prepare Airflow: metadata database, warehouse pool, dbt manifest."""
    return commands.prepare_airflow()


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs site (data dictionary and lineage) from the current warehouse."""
    from customer_platform.warehouse import dbt_docs_generate, dbt_target_dir

    dbt_docs_generate()
    target = dbt_target_dir()
    print(
        f"dbt docs written to {target}\n  open {target / 'static_index.html'} in a browser, or serve it:\n"
        f"  {sys.executable} -m http.server 8080 --directory {target}"
    )
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Run a read-only SQL query against the warehouse (no host files, no extensions) and print the result."""
    import duckdb

    from customer_platform.warehouse_reader import WarehouseBusyError, open_for_analysts

    try:
        con = open_for_analysts(get_settings().warehouse_path, args.wait)
    except (FileNotFoundError, WarehouseBusyError) as error:
        print(f"cdp query: {error}", file=sys.stderr)
        return 3
    try:
        con.sql(args.sql).show(max_rows=args.max_rows)
    except duckdb.Error as error:
        print(f"cdp query: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        con.close()
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from models.jobs import run_nightly_predictions, run_weekly_predictions

    result = (run_weekly_predictions if args.retrain else run_nightly_predictions)(args.date)
    print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    summary = collect_summary(args.date)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def cmd_onboard(args: argparse.Namespace) -> int:
    return commands.onboard(args.path, args.name, args.entity, args.force, args.dry_run, dict(args.relation))


def cmd_validate_contracts(args: argparse.Namespace) -> int:
    from cdp.dry_run import validate_command

    return validate_command(args.paths)


def cmd_config(args: argparse.Namespace) -> int:
    print("\n".join(commands.config_lines()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="cdp", description="Customer data platform command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the nightly pipeline for a logical date (generates demo data if absent)"
    )
    # A string default goes through `type` too: a default before CDP_START_DATE is refused as well.
    run.add_argument(
        "--date",
        type=logical_date,
        default=settings.default_logical_date,
        help=f"logical date, not before {settings.start_date} (default {settings.default_logical_date})",
    )
    run.set_defaults(func=cmd_run)

    fill = sub.add_parser("backfill", help="run the nightly pipeline for a range of dates, oldest first")
    fill.add_argument(
        "--start",
        type=logical_date,
        required=True,
        help=f"first logical date, not before {settings.start_date}",
    )
    fill.add_argument("--end", type=logical_date, required=True, help="last logical date (inclusive)")
    fill.add_argument(
        "--in-process",
        action="store_true",
        help="run the pipeline's stages directly instead of `airflow dags test`",
    )
    fill.set_defaults(func=cmd_backfill)

    init = sub.add_parser("init", help="prepare Airflow: metadata database, warehouse pool, dbt manifest")
    init.set_defaults(func=cmd_init)

    gen = sub.add_parser("generate", help="generate synthetic landing data")
    gen.add_argument("--customers", type=_positive_int, default=settings.demo_customers)
    gen.add_argument("--start", type=iso_date, default=settings.demo_start_date)
    gen.add_argument("--end", type=iso_date, default=settings.demo_end_date)
    gen.add_argument("--seed", type=int, default=settings.seed)
    gen.add_argument("--force", action="store_true", help="overwrite an existing landing directory")
    gen.set_defaults(func=cmd_generate)

    load = sub.add_parser("initial-load", help="ingest every landing date before --until not yet ingested")
    load.add_argument(
        "--until",
        type=iso_date,
        default=(date.fromisoformat(settings.default_logical_date) + timedelta(days=1)).isoformat(),
    )
    load.set_defaults(func=cmd_initial_load)

    docs = sub.add_parser("docs", help="generate the dbt docs site (run it when no build is writing)")
    docs.set_defaults(func=cmd_docs)

    query = sub.add_parser("query", help="read-only SQL against the warehouse")
    query.add_argument("sql")
    query.add_argument("--max-rows", type=_positive_int, default=40)
    query.add_argument(
        "--wait", type=float, default=5.0, help="seconds to wait while a run writes the warehouse (default 5)"
    )
    query.set_defaults(func=cmd_query)

    summary = sub.add_parser("summary", help="print the run summary for a logical date")
    summary.add_argument("--date", type=logical_date, default=settings.default_logical_date)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    predict = sub.add_parser(
        "predict",
        help="score churn risk and lifetime value with the champions (training the first ones if needed)",
    )
    predict.add_argument("--date", type=logical_date, default=settings.default_logical_date)
    predict.add_argument(
        "--retrain",
        action="store_true",
        help="train challengers first and promote each by its rule (what the weekly DAG does)",
    )
    predict.set_defaults(func=cmd_predict)

    add_erase_command(sub)
    add_identity_command(sub, settings.default_logical_date, logical_date)

    onboard = sub.add_parser("onboard", help="draft a contract from a sample export, validate and dry-run it")
    onboard.add_argument("path", help="a sample file (CSV) or a folder of one drop")
    onboard.add_argument("--name", required=True, help="source name (lower-case letters, digits, _)")
    onboard.add_argument("--entity", help="what one row is (default: guessed from the header)")
    onboard.add_argument("--force", action="store_true", help="replace an existing contract of that name")
    onboard.add_argument(
        "--relation",
        type=_relation,
        action="append",
        default=[],
        metavar="ROLE=SOURCE",
        help="a related source, e.g. payments=shop_payments (an order's amount from its payments)",
    )
    onboard.add_argument(
        "--dry-run",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ingest the sample in a scratch folder",
    )
    onboard.set_defaults(func=cmd_onboard)

    contracts = sub.add_parser("contracts", help="work with source contracts")
    contracts_sub = contracts.add_subparsers(dest="contracts_command", required=True)
    validate = contracts_sub.add_parser("validate", help="check contracts and name every mistake")
    validate.add_argument(
        "paths", nargs="*", type=Path, help="contract files (default: all in CDP_CONTRACTS_DIR)"
    )
    validate.set_defaults(func=cmd_validate_contracts)

    add_activation_commands(sub, settings, logical_date)
    add_dashboard_command(sub)
    add_ui_command(sub)

    config = sub.add_parser("config", help="print the resolved configuration")
    config.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    restrict_new_files()  # everything the platform writes holds or derives from personal data
    settings_or_exit("cdp")  # a malformed variable: one line naming it, exit 2
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    finally:
        seal_if_used_here()  # a command that unsealed the restricted database leaves it sealed


if __name__ == "__main__":
    sys.exit(main())
