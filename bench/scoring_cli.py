"""Shared command line of the ground-truth scorers (`python -m bench.<scorer> [--data-dir DIR]`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: A scorer: (warehouse path, ground-truth folder) -> JSON-serialisable figures.
Scorer = Callable[[Path, Path], dict[str, Any]]


def data_dir_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the scorers' `--data-dir` option."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--data-dir", type=Path, help="CDP_DATA_DIR to score (default: the configured one)")
    return parser


def settings_for(data_dir: Path | None) -> Any:
    """The configuration of `data_dir` (everything under it), or the configured one when None."""
    if data_dir is not None:
        # Everything under DIR: drop overrides that would point elsewhere.
        os.environ["CDP_DATA_DIR"] = str(data_dir.resolve())
        for name in ("CDP_LANDING_DIR", "CDP_WAREHOUSE_PATH"):
            os.environ.pop(name, None)
    from customer_platform.config import reload_settings

    return reload_settings()


def score_data_dir(prog: str, description: str, scorer: Scorer, argv: list[str] | None = None) -> int:
    """Parse `--data-dir`, run the scorer on that data directory's warehouse and truth, print JSON."""
    args = data_dir_parser(prog, description).parse_args(argv)
    settings = settings_for(args.data_dir)
    figures = scorer(settings.warehouse_path, settings.truth_dir)
    print(json.dumps({"warehouse": str(settings.warehouse_path), **figures}, indent=2))
    return 0


def report_main(
    parser: argparse.ArgumentParser,
    compute: Callable[[Any, argparse.Namespace], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
    label: str,
    errors: tuple[type[Exception], ...],
    argv: list[str] | None = None,
) -> int:
    """Run a report's command line: `--data-dir` (from `data_dir_parser`), its own options and `--json`.

    compute(settings, args) returns the figures; one of `errors` prints `label: message` on one
    line and exits 2. Prints the text report (or JSON) and returns 0 otherwise.
    """
    parser.add_argument("--json", action="store_true", help="print JSON instead of the text report")
    args = parser.parse_args(argv)
    settings = settings_for(args.data_dir)
    try:
        result = compute(settings, args)
    except errors as error:
        print(f"{label}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0
