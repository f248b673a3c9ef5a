"""What the Airflow UI is given: task log files split from `airflow dags test` output, a settled
airflow.cfg, and `cdp ui`'s one-line refusals. The UI itself is opened in tests/browser/."""

from __future__ import annotations

import json
import socket

from cdp import cli
from cdp.airflow_env import CONFIG_KEYS, _TaskProgress, airflow_env, settle_config
from cdp.airflow_logs import TaskLogFiles, log_event, task_log_path
from cdp.airflow_ui import HOST, ui_env

RUN = "manual__2026-12-06T13:10:07.375378+00:00"
DAG = "customer_platform_nightly"


def _stream(task: str, *body: str) -> list[str]:
    return [
        f"2026-12-06T13:10:07.807332Z [info     ] [DAG TEST] starting task_id={task} map_index=-1 [dag]\n",
        f"2026-12-06T13:10:07.807617Z [info     ] [DAG TEST] running task <TaskInstance: {DAG}.{task} {RUN} "
        "[TaskInstanceState.SCHEDULED] ti_id=1> [airflow.sdk.definitions.dag]\n",
        *body,
        f"2026-12-06T13:10:17.893773Z [info     ] [DAG TEST] end task task_id={task} map_index=-1 [dag]\n",
    ]


def _events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_task_gets_its_own_file_where_the_ui_reads_it_and_a_retry_a_new_attempt(tmp_path):
    files = TaskLogFiles(tmp_path, DAG)
    lines = [
        "2026-12-06T13:10:00.000000Z [info     ] Filling up the DagBag [dagbag]\n",  # before any task
        *_stream("ingest.ingest_crm_customers", "\x1b[0m13:10:12  Spark says hello\n"),
        *_stream("silver_gate", "2026-12-06T13:10:18.000000Z [error    ] boom [task]\n"),
        *_stream(
            "silver_gate", "2026-12-06T13:10:30.000000Z [info     ] 12 suites validated [expectations]\n"
        ),
    ]
    for line in lines:
        files.feed(line)
    files.close()

    ingest = task_log_path(tmp_path, DAG, RUN, "ingest.ingest_crm_customers", -1, 1)
    assert files.written == [
        ingest,
        task_log_path(tmp_path, DAG, RUN, "silver_gate", -1, 1),
        task_log_path(tmp_path, DAG, RUN, "silver_gate", -1, 2),
    ]
    assert ingest.as_posix().endswith(
        f"dag_id={DAG}/run_id={RUN}/task_id=ingest.ingest_crm_customers/attempt=1.log"
    )
    events = _events(ingest)
    assert [e["event"][:20] for e in events] == [
        "[DAG TEST] starting ",
        "[DAG TEST] running t",
        "13:10:12  Spark says",  # colour codes gone, the previous line's time
        "[DAG TEST] end task ",
    ]
    assert events[2]["timestamp"] == "2026-12-06T13:10:07.807617Z" and "Filling" not in ingest.read_text()
    assert _events(files.written[1])[2] == {
        "timestamp": "2026-12-06T13:10:18.000000Z",
        "level": "error",
        "event": "boom [task]",
    }
    assert "12 suites validated" in files.written[2].read_text()


def test_a_mapped_task_instance_has_its_map_index_folder(tmp_path):
    path = task_log_path(tmp_path, DAG, RUN, "score", 3, 1)
    assert path.relative_to(tmp_path).parts[-2:] == ("map_index=3", "attempt=1.log")


def test_a_plain_line_without_a_previous_time_has_no_timestamp():
    assert log_event("WARNING: Using incubator modules\n", None) == {
        "event": "WARNING: Using incubator modules"
    }


def test_the_generated_config_loses_the_example_dags_and_finds_the_platforms(tmp_path):
    config = tmp_path / "airflow.cfg"
    config.write_text(
        "[core]\n# The folder\ndags_folder = /x/airflow/dags\nload_examples = True\n[logging]\nlevel = INFO\n"
    )

    assert settle_config(config)
    text = config.read_text()
    assert f"dags_folder = {CONFIG_KEYS['dags_folder']}" in text and "load_examples = False" in text
    assert "# The folder" in text and "level = INFO" in text
    assert not settle_config(config), "a settled file is left alone"
    assert not settle_config(tmp_path / "missing.cfg")


def test_the_ui_binds_loopback_finds_the_venv_first_and_shares_the_task_log_folder(isolated_settings):
    env = ui_env(isolated_settings, 18080, 18793)

    assert env["AIRFLOW__API__HOST"] == HOST == "127.0.0.1"
    assert env["AIRFLOW__API__PORT"] == "18080"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["PATH"].split(":")[0].endswith("/bin")
    assert (
        env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]
        == airflow_env(isolated_settings)["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]
        == str(isolated_settings.airflow_home / "logs")
    )


def test_cdp_ui_without_an_airflow_home_says_to_run_cdp_run_first(isolated_settings, capsys):
    assert cli.main(["ui", "--port", "0"]) == 2

    err = capsys.readouterr().err.strip()
    assert err == f"cdp ui: no Airflow home at {isolated_settings.airflow_home}: run `cdp run` first"


def test_cdp_ui_on_a_busy_port_says_so_in_one_line(isolated_settings, capsys):
    isolated_settings.airflow_home.mkdir(parents=True)
    (isolated_settings.airflow_home / "airflow.cfg").write_text("[core]\n")
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["ui", "--port", str(port)])

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith(f"cdp ui: port {port} on 127.0.0.1 is busy") and "--port" in err
    assert "\n" not in err


def test_the_terminal_echoes_the_platforms_progress_lines_not_airflows():
    progress = _TaskProgress()
    echoed = [
        progress.feed(line)
        for line in (
            "2026-12-06T13:21:14.2Z [info     ] ingest crm: reading 3 file(s) [spark_jobs.ingest] loc=progress.py:23\n",
            "2026-12-06T13:21:15.2Z [info     ] validated silver.crm: 40 expectations [expectations.gx_context] x=1\n",
            "2026-12-06T13:21:15.3Z [info     ] Task started                   [airflow.api_fastapi.routes] x=1\n",
            "2026-12-06T13:21:15.4Z [debug    ] ingest crm: detail [spark_jobs.ingest] x=1\n",
        )
    ]

    assert echoed == [
        "    ingest crm: reading 3 file(s)",
        "    validated silver.crm: 40 expectations",
        None,
        None,
    ]
