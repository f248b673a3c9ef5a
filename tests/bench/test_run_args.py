"""`python -m bench.run` options: the nightly phase handed to a new process."""

from __future__ import annotations

import pytest

from bench.run_args import fresh_nightly_argv, parse_args

pytestmark = pytest.mark.unit


def test_the_new_process_resumes_the_nightly_phase_with_the_same_options():
    argv = ["--scale", "1000", "--reuse", "--fresh-nightly", "--results-dir", "/tmp/r"]
    command = fresh_nightly_argv(argv)
    assert command == ["--scale", "1000", "--reuse", "--results-dir", "/tmp/r", "--resume-nightly"]
    args = parse_args(command, "bench")
    assert args.resume_nightly and not args.fresh_nightly and args.scale == 1000
