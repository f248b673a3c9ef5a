"""The benchmark ends Spark's JVM after the silver gate, as the DAG's Spark tasks end with their process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

# In a process of its own: ending the JVM must not touch the test session's shared SparkSession.
SCRIPT = """
import json, psutil
from pyspark import SparkContext
from bench import stages
from bench.monitor import RssSampler, StageRecorder

recorder = StageRecorder(RssSampler().start())
stages.start_spark(recorder)
jvm = SparkContext._gateway.proc.pid
before = psutil.Process(jvm).memory_info().rss
stages.stop_spark()
ended = not psutil.pid_exists(jvm) or psutil.Process(jvm).status() == psutil.STATUS_ZOMBIE
spark = stages.start_spark(recorder, phase="nightly")
print(json.dumps({
    "ended": ended, "before_mb": before / 2**20, "again": spark.range(5).count(),
    "new_jvm": SparkContext._gateway.proc.pid != jvm,
    "stages": [(s.name, s.phase) for s in recorder.stages],
}))
stages.stop_spark()
"""


def test_stopping_spark_ends_its_jvm_and_a_new_session_starts_after(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ended"] and result["before_mb"] > 50
    assert result["again"] == 5 and result["new_jvm"]
    assert result["stages"] == [["spark start-up", "initial"], ["spark start-up", "nightly"]]
