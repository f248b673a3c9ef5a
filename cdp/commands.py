"""What the `cdp` commands do, as plain functions (the CLI in `cdp.cli` only parses arguments).

Each returns a process exit code: 0 success, 1 a stage failed, 2 a bad argument.
"""

from __future__ import annotations

import logging
import sys
import time

from cdp.airflow_env import dags_test, init_airflow
from cdp.backfill import airflow_runner, backfill, date_range, in_process_runner
from cdp.summary import collect_summary, format_summary
from customer_platform.cli_args import check_logical_date, is_iso_date
from customer_platform.config import Settings, get_settings, parse_iso_date
from customer_platform.registry import get_registry
from customer_platform.warehouse import dbt_manifest_path

NIGHTLY_DAG = "customer_platform_nightly"


def landing_has_data(settings: Settings | None = None) -> bool:
    """Whether anything but the ground truth has landed."""
    landing = (settings or get_settings()).landing_dir
    return landing.exists() and any(p for p in landing.iterdir() if p.name != "_truth")


def landing_dates(settings: Settings | None = None) -> list[str]:
    """Every delivery date (a YYYY-MM-DD folder) of an active source under the landing folder, sorted."""
    settings = settings or get_settings()
    landing = settings.landing_dir
    dates = {
        p.name
        for source in get_registry(settings).active
        for p in (landing / source).glob("*")
        if p.is_dir() and is_iso_date(p.name)
    }
    return sorted(dates)


def generate_demo(customers: int, start: str, end: str, seed: int, force: bool = False) -> int:
    """Generate the synthetic landing drops (delegates to `datagen`)."""
    from datagen.cli import main as datagen_main

    argv = ["generate", "--customers", str(customers), "--start", start, "--end", end, "--seed", str(seed)]
    return datagen_main([*argv, "--force"] if force else argv)


#: The platform's packages whose INFO lines are progress worth showing in the terminal.
PROGRESS_LOGGERS = ("spark_jobs", "expectations", "models", "monitoring", "activation", "privacy")


def show_progress() -> None:
    """Print the platform's own INFO log lines (ingestion, gates, models) on stderr, once per process.

    Only these loggers: the libraries' INFO chatter (Spark, GX, MLflow) stays out of the terminal.
    """
    for name in PROGRESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(h, "_cdp_progress", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("    %(message)s"))
            handler._cdp_progress = True
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)


def initial_load(until: str, stop_spark: bool) -> int:
    """Ingest the landing dates before `until` not ingested yet.

    stop_spark: free the JVM afterwards (before Airflow starts its own Spark for the nightly run).
    """
    from spark_jobs.ingest import ingest_dates

    show_progress()
    settings = get_settings()
    dates = [d for d in landing_dates(settings) if parse_iso_date(d) < parse_iso_date(until, "until")]
    pending = {
        source: [d for d in dates if not settings.manifest_path(source, d).exists()]
        for source in get_registry(settings).active
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
            print(
                f"initial load: {source}: {len(todo)} dates, {rows:,} rows in {seconds:.1f} s "
                f"({rows / max(seconds, 1e-9):,.0f} rows/s)"
            )
    finally:
        if stop_spark:
            get_spark().stop()
    return 0


def ensure_demo_data(settings: Settings) -> int:
    """Generate the demo dataset unless an active source has landed drops.

    Only the demo's own sources are generated: a deployment naming its own sources in
    CDP_SOURCES with nothing landed yet gets an error (2), never synthetic data.
    """
    if landing_dates(settings):
        print(f"reusing landing data under {settings.landing_dir}")
        return 0
    from datagen.generator import SOURCES as DEMO_SOURCES

    active = get_registry(settings).active
    own = [source for source in active if source not in DEMO_SOURCES]
    if own:
        print(
            f"cdp run: no drops under {settings.landing_dir}/<source>/<YYYY-MM-DD>/ for the active "
            f"source(s) {', '.join(own)} (CDP_SOURCES): land the exports first; the demo data is "
            "generated only for the demo's sources",
            file=sys.stderr,
        )
        return 2
    if landing_has_data(settings):
        print(f"reusing landing data under {settings.landing_dir}")
        return 0
    print(
        f"generating the demo dataset ({settings.demo_customers:,} customers, "
        f"{settings.demo_start_date}..{settings.demo_end_date}) under {settings.landing_dir}"
    )
    return generate_demo(
        settings.demo_customers, settings.demo_start_date, settings.demo_end_date, settings.seed
    )


def run_date(logical_date: str) -> int:
    """The main job: demo data if absent, history load, then the nightly DAG for the date.

    Success only when the DAG run finished with every task instance done: a run that created
    no task (or left one unfinished) fails loudly.
    """
    settings = get_settings()
    check_logical_date(logical_date, settings)
    started = time.monotonic()
    prepared = ensure_demo_data(settings)
    if prepared != 0:
        return prepared
    if initial_load(logical_date, stop_spark=True) != 0:
        return 1
    init_airflow(settings)
    print(f"running {NIGHTLY_DAG} for {logical_date} (airflow dags test)")
    result = dags_test(NIGHTLY_DAG, logical_date, settings)
    problem = result.problem()
    if problem:
        tail = result.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-80:]
        print("\n".join(tail), file=sys.stderr)
        print(
            f"\n{problem}. Full log: {result.log_path}; "
            f"failure records: {settings.run_summaries_dir / 'failures.jsonl'}",
            file=sys.stderr,
        )
        return result.code or 1
    generate_dbt_docs(logical_date)
    print()
    print(format_summary(collect_summary(logical_date)))
    print(f"\n{len(result.task_states)} tasks succeeded; finished in {time.monotonic() - started:.0f} s")
    return 0


def generate_dbt_docs(logical_date: str) -> bool:
    """Build the dbt docs site (data dictionary, lineage) over the warehouse just built; False when it failed.

    The run has already succeeded: a failure here is reported in one line, not raised.
    """
    from customer_platform.warehouse import dbt_docs_generate, dbt_target_dir

    started = time.monotonic()
    print("generating the dbt docs site (dbt docs generate --static)", flush=True)
    try:
        dbt_docs_generate(logical_date)
    except Exception as error:  # a convenience after a successful run: never fails it
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"dbt docs were not generated: {reason}; `cdp docs` tries again", file=sys.stderr)
        return False
    path = dbt_target_dir() / "static_index.html"
    print(f"dbt docs written in {time.monotonic() - started:.0f} s: {path}")
    return True


def backfill_window(start: str, end: str, in_process: bool) -> int:
    """Run the nightly pipeline for every date from start to end, oldest first; stop at the first failure."""
    settings = get_settings()
    try:
        dates = date_range(start, end)
    except ValueError as exc:
        print(f"cdp backfill: error: argument --end: {exc}", file=sys.stderr)
        return 2
    check_logical_date(start, settings)
    check_logical_date(end, settings)
    # Dates before the window that were delivered but never ingested are history for it.
    if initial_load(start, stop_spark=not in_process) != 0:
        return 1
    if not in_process:
        init_airflow(settings)
    runner = in_process_runner if in_process else airflow_runner
    print(f"backfilling {NIGHTLY_DAG} for {len(dates)} dates, {start}..{end}")
    started = time.monotonic()
    result = backfill(start, end, runner)
    for ds, code in result.codes.items():
        print(f"  {ds}: {'success' if code == 0 else f'failed (exit {code})'}")
    if not result.ok:
        print(
            f"backfill stopped at {result.failed_date}; not run: {', '.join(result.skipped) or 'none'}. "
            f"Failure records: {settings.run_summaries_dir / 'failures.jsonl'}. After repairing, resume with "
            f"`cdp backfill --start {result.failed_date} --end {end}`.",
            file=sys.stderr,
        )
        return 1
    print(f"backfill finished in {time.monotonic() - started:.0f} s")
    return 0


def prepare_airflow() -> int:
    """Metadata database, warehouse pool and dbt manifest: what Airflow needs before it parses the DAGs."""
    settings = get_settings()
    init_airflow(settings)
    print(f"Airflow metadata under {settings.airflow_home}; dbt manifest {dbt_manifest_path(settings)}")
    return 0


def config_lines(settings: Settings | None = None) -> list[str]:
    """`key = value` for every setting, then the active sources the registry resolved."""
    settings = settings or get_settings()
    lines = [f"{key} = {value}" for key, value in settings.describe().items()]
    lines.append(f"active_sources = {','.join(get_registry(settings).active)}")
    return lines


def onboard(
    path: str,
    name: str,
    entity: str | None,
    force: bool,
    dry_run: bool,
    relations: dict[str, str] | None = None,
) -> int:
    """`cdp onboard`: sniff a sample, write a draft contract, validate it, dry-run it."""
    from pathlib import Path

    from cdp import dry_run as dry
    from cdp.contract_draft import build_contract
    from cdp.onboarding import check_entity, guess_entity, read_sample, render, write_draft
    from customer_platform.contract_parser import _NAME

    if not _NAME.match(name):
        print(
            f"cdp onboard: --name {name!r} must be lower-case letters, digits and _ (it names tables)",
            file=sys.stderr,
        )
        return 2
    try:
        chosen = check_entity(entity)
        sample = read_sample(Path(path))
    except ValueError as exc:
        print(f"cdp onboard: {exc}", file=sys.stderr)
        return 2
    guessed = guess_entity(sample)
    entity_note = f"{chosen} (given)" if chosen else f"{guessed} (guessed from the header names: confirm)"
    text = render(build_contract(sample, name, chosen or guessed, relations), sample, entity_note)
    try:
        target = write_draft(text, name, force)
    except FileExistsError as exc:
        print(f"cdp onboard: {exc}", file=sys.stderr)
        return 1
    print(text)
    print(f"draft contract written to {target}")
    problems = dry.contract_problems([target])[target]
    if problems:
        print("the draft is not valid yet; fix these, then run `cdp contracts validate`:")
        print("\n".join(f"  - {p}" for p in problems))
        return 1
    print("the draft is valid")
    if dry_run:
        dry.print_dry_run(dry.dry_run(target, Path(path)))
    print(
        f"next: confirm the proposals, then set CDP_SOURCES to include {name} and land drops under "
        f"{get_settings().landing_dir}/{name}/<YYYY-MM-DD>/"
    )
    return 0
