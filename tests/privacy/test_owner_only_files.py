"""Files that hold personal data are created owner-only: 0600 files in 0700 folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from customer_platform.config import REPO_ROOT
from tests.spark_jobs.landing_files import valid_rows, write_drop


def _open_to_others(root: Path) -> list[str]:
    """Paths under root that the group or others may read, write or enter."""
    return [
        f"{oct(path.stat().st_mode & 0o777)} {path.relative_to(root)}"
        for path in [root, *root.rglob("*")]
        if path.stat().st_mode & 0o077
    ]


def test_a_cdp_command_creates_owner_only_files_and_folders(tmp_path):
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "AIRFLOW", "MLFLOW_"))}
    env["CDP_DATA_DIR"] = str(data)
    done = subprocess.run(
        [sys.executable, "-m", "cdp.cli", "erase", "--queue", "--email", "ann.owner@example.com"],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    written = [p for p in data.rglob("*") if p.is_file()]
    assert written, "the queued request is a file under the data folder"
    assert _open_to_others(data) == []


def test_spark_writes_the_lakehouse_owner_only(spark, isolated_settings):
    """Hadoop sets file modes from its own umask setting (022 by default), not the process umask."""
    from spark_jobs.ingest import ingest_dates

    s = isolated_settings
    write_drop(s.landing_dir, "web_orders", "2026-06-02", valid_rows("web_orders", 10))
    ingest_dates("web_orders", ["2026-06-02"], run_id="modes", spark=spark)
    written = [p for p in s.lakehouse_dir.rglob("*") if p.is_file() and p.suffix == ".parquet"]
    assert written
    assert [f"{oct(p.stat().st_mode & 0o777)} {p.name}" for p in written if p.stat().st_mode & 0o077] == []
