"""`python -m datagen generate`: arguments, defaults from settings, refusing to overwrite."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from datagen.cli import main
from datagen.generator import generate

SMALL = ["--customers", "30", "--start", "2026-06-01", "--end", "2026-06-02"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--customers", "0"], "--customers"),
        (["--customers", "many"], "--customers"),
        (["--start", "2026-02-30"], "--start"),
        (["--end", "June"], "--end"),
        (["--start", "2026-06-05", "--end", "2026-06-01"], "--end"),
        (["--sources", "crm_customers,ledger"], "--sources"),
        (["--rate", "malformed_line=1.5"], "--rate"),
        (["--rate", "malformed_line=-0.1"], "--rate"),
        (["--rate", "bogus=0.1"], "--rate"),
    ],
)
def test_bad_argument_exits_2_naming_it(argv, named, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--out", str(tmp_path / "out"), *argv])
    assert exc.value.code == 2
    assert f"argument {named}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_refuses_a_non_empty_landing_dir_unless_forced(tmp_path, capsys):
    out = tmp_path / "landing"
    out.mkdir()
    (out / "keep.txt").write_text("a user's file")
    assert main(["generate", "--out", str(out), *SMALL]) == 1
    assert "--force" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert main(["generate", "--out", str(out), "--force", *SMALL]) == 0
    assert (out / "_truth" / "identities.csv").is_file()
    assert (out / "keep.txt").is_file()  # only the generator's own folders are replaced


def test_defaults_come_from_settings(isolated_settings, capsys):
    assert main(["generate", "--customers", "25", "--end", isolated_settings.demo_start_date]) == 0
    landing = isolated_settings.landing_dir
    assert [p.name for p in (landing / "web_orders").iterdir()] == [isolated_settings.demo_start_date]
    assert str(landing) in capsys.readouterr().out


def test_progress_lines_go_to_stderr(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "o"), "--progress", *SMALL]) == 0
    err = capsys.readouterr().err
    assert "day 1/2 2026-06-01" in err and "day 2/2 2026-06-02" in err


def test_module_entry_point_exits_2_on_bad_argument():
    done = subprocess.run(
        [sys.executable, "-m", "datagen", "generate", "--customers", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "argument --customers" in done.stderr


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"customers": 0}, "customers"),
        ({"end": date(2026, 5, 1)}, "end"),
        ({"sources": ["web_orders", "ledger"]}, "ledger"),
    ],
)
def test_generate_refuses_bad_arguments_before_touching_the_folder(tmp_path, kwargs, named):
    args = {"customers": 10, "start": date(2026, 6, 1), "end": date(2026, 6, 2)} | kwargs
    with pytest.raises(ValueError, match=named):
        generate(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()
