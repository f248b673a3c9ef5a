"""Command line: `python -m datagen generate --customers N --start D --end D --seed S`.

`--world NAME_OR_YAML` picks a world (a preset of datagen/worlds.py or a YAML file);
`--rate` overrides win over the world's rates.

`python -m datagen invoices` writes the invoice-line onboarding example instead (a year of
a retailer's export; see `datagen/exports.py`).

Defaults come from `customer_platform.config.get_settings()`. A bad argument exits
with code 2 and a message naming it; a non-empty output folder needs `--force`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

from customer_platform.cli_args import iso_day, settings_or_exit
from customer_platform.config import Settings
from datagen.generator import ALL_SOURCES
from datagen.profiles import MessRates, rate_names
from datagen.worlds import WORLDS, World, load_world

PROGRESS_THRESHOLD = 50_000


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _sources(text: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in names if s not in ALL_SOURCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown source(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(ALL_SOURCES)}"
        )
    return names


def _rate(text: str) -> tuple[str, float]:
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or name not in rate_names():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with NAME one of {', '.join(rate_names())}, got {text!r}"
        )
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"rate {name} must be a number within 0..1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"rate {name} must be within 0..1, got {value}")
    return name, value


def _world(text: str) -> World:
    try:
        return load_world(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The `datagen` argument parser (defaults are filled in by `main` from settings)."""
    parser = argparse.ArgumentParser(prog="python -m datagen", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write seeded synthetic landing drops and their ground truth")
    gen.add_argument(
        "--customers", type=_positive_int, help="number of persons (default: CDP_DEMO_CUSTOMERS)"
    )
    gen.add_argument("--start", type=iso_day, help="first drop date (default: CDP_DEMO_START_DATE)")
    gen.add_argument("--end", type=iso_day, help="last drop date, inclusive (default: CDP_DEMO_END_DATE)")
    gen.add_argument("--seed", type=int, help="random seed (default: CDP_SEED)")
    gen.add_argument("--out", type=Path, help="landing folder (default: the configured landing_dir)")
    gen.add_argument("--force", action="store_true", help="overwrite a non-empty landing folder")
    gen.add_argument("--sources", type=_sources, help=f"comma-separated subset of: {', '.join(ALL_SOURCES)}")
    gen.add_argument(
        "--rate",
        type=_rate,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a messiness rate (repeatable), e.g. malformed_line=0.01",
    )
    gen.add_argument(
        "--world",
        type=_world,
        metavar="NAME_OR_YAML",
        help=f"population settings: a preset ({', '.join(WORLDS)}) or a YAML file (default: demo)",
    )
    gen.add_argument(
        "--member-file-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="also write scheme_members, a member file of this share of persons with no email,"
        " phone or card (the person-file scenario; default 0: off)",
    )
    gen.add_argument(
        "--chunk", type=_positive_int, default=None, help="rows per generated chunk (memory knob)"
    )
    gen.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"one line per day on stderr (default: on from {PROGRESS_THRESHOLD} customers)",
    )
    inv = sub.add_parser(
        "invoices",
        help="write a year of an online retailer's invoice-line export (the invoice_lines example contract)",
    )
    inv.add_argument("--out", type=Path, help="landing folder (default: the configured landing_dir)")
    inv.add_argument(
        "--customers", type=_positive_int, default=4000, help="number of customers (default 4000)"
    )
    inv.add_argument(
        "--start", type=iso_day, default=date(2010, 12, 1), help="first day (default 2010-12-01)"
    )
    inv.add_argument("--days", type=_positive_int, default=374, help="calendar days (default 374)")
    inv.add_argument(
        "--lines", type=_positive_int, default=500_000, help="about this many lines (default 500000)"
    )
    inv.add_argument("--seed", type=int, help="random seed (default: CDP_SEED)")
    inv.add_argument(
        "--force", action="store_true", help="write into a landing folder that has invoice drops"
    )
    shop = sub.add_parser(
        "shop", help="write a shop database dump: customers, orders, payments (shop_* contracts)"
    )
    shop.add_argument("--out", type=Path, help="landing folder (default: the configured landing_dir)")
    shop.add_argument(
        "--customers", type=_positive_int, default=3000, help="number of customers (default 3000)"
    )
    shop.add_argument(
        "--start", type=iso_day, default=date(2023, 3, 1), help="first day of history (default 2023-03-01)"
    )
    shop.add_argument(
        "--days", type=_positive_int, default=365, help="days of history; the dump is taken after them"
    )
    shop.add_argument("--seed", type=int, help="random seed (default: CDP_SEED)")
    return parser


def _shop(args: argparse.Namespace, settings: Settings) -> int:
    from datagen.shop import shop_dump

    out = (args.out or settings.landing_dir).resolve()
    seed = settings.seed if args.seed is None else args.seed
    report = shop_dump(out, args.customers, args.start, args.days, seed)
    print(f"datagen: {report.summary()} -> {out}/shop_*/{(args.start + timedelta(args.days)).isoformat()}")
    return 0


def _invoices(args: argparse.Namespace, settings: Settings) -> int:
    from datagen.exports import invoice_year

    out = (args.out or settings.landing_dir).resolve()
    target = out / "invoice_lines"
    if target.exists() and any(target.iterdir()) and not args.force:
        print(f"datagen: {target} is not empty; pass --force to overwrite it", file=sys.stderr)
        return 1
    if target.exists():
        shutil.rmtree(target)
    seed = settings.seed if args.seed is None else args.seed
    report = invoice_year(out, args.customers, args.start, args.days, seed, args.lines)
    print(f"datagen: {report.summary()} -> {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse `argv`, generate, print a one-line summary; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings_or_exit("python -m datagen")
    if args.command == "invoices":
        return _invoices(args, settings)
    if args.command == "shop":
        return _shop(args, settings)
    customers = args.customers or settings.demo_customers
    start = args.start or date.fromisoformat(settings.demo_start_date)  # checked when settings load
    end = args.end or date.fromisoformat(settings.demo_end_date)
    if end < start:
        parser.error(f"argument --end: {end} is before --start {start}")
    seed = settings.seed if args.seed is None else args.seed
    out = (args.out or settings.landing_dir).resolve()
    if out.exists() and any(out.iterdir()) and not args.force:
        print(f"datagen: {out} is not empty; pass --force to overwrite it", file=sys.stderr)
        return 1
    rates = MessRates().with_overrides(**dict(args.rate))
    world = args.world
    if world is not None:
        try:
            world = world.with_rates(dict(args.rate))
        except ValueError as exc:
            parser.error(f"argument --rate: {exc}")
    progress = customers >= PROGRESS_THRESHOLD if args.progress is None else args.progress

    from datagen.generator import DEFAULT_CHUNK, generate

    report = generate(
        out,
        customers,
        start,
        end,
        seed=seed,
        rates=rates,
        progress=progress,
        sources=args.sources,
        chunk=args.chunk or DEFAULT_CHUNK,
        member_file_share=args.member_file_share,
        world=world,
    )
    print(
        f"datagen: {customers} persons, {report.total_rows()} lines in {len(report.files)} files, "
        f"{report.identities} truth identities -> {out}"
    )
    return 0
