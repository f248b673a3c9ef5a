"""Command line: `python -m models {train,score,nightly,weekly,predict,retrain-predictions} --date YYYY-MM-DD`.

Only parses arguments; the work happens in importable functions (heavy imports are
deferred so `--help` stays fast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence


def _iso_date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    from customer_platform.config import get_settings

    default_date = get_settings().default_logical_date
    parser = argparse.ArgumentParser(
        prog="python -m models", description="Customer segmentation: train, score, run."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    helps = {
        "train": "select, log and register a model; promote it by the rule",
        "score": "assign every customer with a registered model and write marts.customer_segments",
        "nightly": "score with the champion (train first when there is none)",
        "weekly": "train a challenger, promote by the rule, rescore",
        "predict": "churn and lifetime value: score with the champions (train first when there are none)",
        "retrain-predictions": "train churn and lifetime-value challengers, promote each by its rule, rescore",
    }
    for name, text in helps.items():
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument(
            "--date",
            type=_iso_date,
            default=default_date,
            help=f"logical date YYYY-MM-DD (default from configuration: {default_date})",
        )
        if name == "score":
            sub.add_argument(
                "--model-uri",
                default="models:/customer_segmentation@champion",
                help="models:/<name>@<alias> or models:/<name>/<version>",
            )
        if name == "train":
            sub.add_argument("--no-promote", action="store_true", help="register as challenger only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 0 on success, 2 on bad arguments (argparse)."""
    args = build_parser().parse_args(argv)
    if args.command == "train":
        from models.segmentation.training import train

        result = train(args.date, promote=not args.no_promote).summary()
    elif args.command == "score":
        from models.segmentation.scoring import score

        result = score(args.date, args.model_uri).__dict__
    elif args.command == "nightly":
        from models.jobs import run_nightly

        result = run_nightly(args.date)
    elif args.command == "predict":
        from models.jobs import run_nightly_predictions

        result = run_nightly_predictions(args.date)
    elif args.command == "retrain-predictions":
        from models.jobs import run_weekly_predictions

        result = run_weekly_predictions(args.date)
    else:
        from models.jobs import run_weekly

        result = run_weekly(args.date)
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0
