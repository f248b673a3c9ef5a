"""Command-line options of `python -m bench.run`."""

from __future__ import annotations

import argparse
from pathlib import Path


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """Command-line options of `python -m bench.run`."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=description)
    parser.add_argument("--scale", type=int, required=True, help="customers (persons) in the dataset")
    parser.add_argument(
        "--data-root", type=Path, help="folder holding one sub-folder per scale (default: bench_dir)"
    )
    parser.add_argument(
        "--baseline-timeout", type=float, default=600.0, help="time cap of each baseline, seconds"
    )
    parser.add_argument(
        "--start", default="2026-06-01", help="initial-load date; the nightly run is the day after"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--world", default="demo", help="generator world: a preset of datagen/worlds.py or a YAML file"
    )
    switches = {
        "--reuse": "reuse this scale's dataset if generated with the same parameters",
        "--skip-baselines": "measure the platform only",
        "--skip-floors": "no per-stage DuckDB floors",
        "--floors-only": "measure only the DuckDB floors of today's result of this scale and rewrite it",
        "--generate-only": "generate (or reuse) the dataset, report it and stop",
        "--resume-nightly": "keep today's result of this scale and re-run only its nightly phase "
        "(after a failure outside the measured work)",
        "--fresh-nightly": "run the nightly phase in a new process, as a later DAG run's tasks are "
        "(the initial load's interpreter memory is not carried into it)",
    }
    for flag, text in switches.items():
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument("--results-dir", type=Path, help="where reports go (default: bench/results)")
    return parser.parse_args(argv)


def fresh_nightly_argv(argv: list[str]) -> list[str]:
    """The command line of the process that runs the nightly phase after the initial load."""
    return [arg for arg in argv if arg != "--fresh-nightly"] + ["--resume-nightly"]
