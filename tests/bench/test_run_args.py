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


def test_reset_removes_every_platform_folder_and_keeps_the_landing_drops(tmp_path):
    from types import SimpleNamespace

    from bench.run import reset_platform_state

    names = (
        "lakehouse",
        "warehouse",
        "restricted",
        "exports",
        "dq",
        "mlflow",
        "dbt",
        "runs",
        "airflow",
        "landing",
    )
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "file").write_text("x")
    settings = SimpleNamespace(
        data_dir=tmp_path,
        lakehouse_dir=tmp_path / "lakehouse",
        warehouse_path=tmp_path / "warehouse" / "warehouse.duckdb",
        restricted_path=tmp_path / "restricted" / "restricted.duckdb",
        exports_dir=tmp_path / "exports",
        dq_dir=tmp_path / "dq",
        run_summaries_dir=tmp_path / "runs",
        airflow_home=tmp_path / "airflow",
    )
    removed = reset_platform_state(settings, tmp_path)
    assert len(removed) == len(names) - 1
    assert [p.name for p in tmp_path.iterdir()] == ["landing"]
