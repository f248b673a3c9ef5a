"""End to end: `cdp run` (what `make run` calls) carries the default demo data through every stage.

The default demo data (5,000 customers, June 2026, seed 42) is what the quality targets
are defined on: identity precision >= 0.99 and recall >= 0.95, segmentation ARI >= 0.7 on
known buyers, and no ML segment more than half anonymous customers.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from customer_platform.config import REPO_ROOT
from datagen.generator import SOURCES

LOGICAL_DATE = "2026-06-30"  # the default logical date
CONTRACT_MARTS = (
    "customer_identity_map",
    "dim_customers",
    "fct_orders",
    "customer_rfm",
    "customer_engagement",
    "customer_features",
    "customer_lifecycle",
    "customer_segments",
    "segment_history",
    "segment_inputs",
)


def _cdp(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cdp.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=3000,
    )


@pytest.fixture(scope="module")
def platform_run(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "AIRFLOW", "MLFLOW_"))}
    env["CDP_DATA_DIR"] = str(data_dir)
    first = _cdp(["run"], env)  # exactly `make run`: generates the demo data, loads history, runs the DAG
    assert first.returncode == 0, (first.stdout[-4000:], first.stderr[-6000:])
    assert "generating the demo dataset (5,000 customers" in first.stdout
    return data_dir, env, first


def _unsealed_copy(data_dir: Path, folder: Path) -> Path:
    """A decrypted copy of the run's sealed restricted database (the demo key), to search its rows."""
    from customer_platform.config import DEMO_PII_KEY
    from customer_platform.sealed_file import unseal_file

    folder.mkdir(parents=True)
    copy = folder / "restricted.duckdb"
    unseal_file(data_dir / "restricted" / "restricted.duckdb.sealed", copy, DEMO_PII_KEY)
    return copy


def _query(data_dir: Path, sql: str, params: list | None = None):
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_every_contract_mart_exists_with_plausible_rows(platform_run):
    data_dir, _, _ = platform_run
    with (data_dir / "landing" / "_truth" / "persons.csv").open() as handle:
        persons = sum(1 for _ in csv.DictReader(handle))
    counts = {t: _query(data_dir, f"select count(*) from marts.{t}")[0][0] for t in CONTRACT_MARTS}
    assert counts["dim_customers"] >= 0.5 * persons, counts
    assert counts["dim_customers"] <= 2.0 * persons, counts
    assert counts["fct_orders"] > counts["customer_rfm"] * 0.5
    assert counts["customer_identity_map"] >= counts["dim_customers"]
    assert counts["customer_features"] > 0.3 * persons
    # every unified customer has exactly one segment (ML or lifecycle) and one lifecycle stage
    assert counts["customer_segments"] == counts["dim_customers"] == counts["customer_lifecycle"]
    assert counts["segment_history"] >= counts["customer_segments"]


@pytest.mark.slow
def test_segments_carry_the_mlflow_run_and_persona_names(platform_run):
    data_dir, _, _ = platform_run
    rows = _query(
        data_dir,
        "select count(distinct segment_id), count(distinct mlflow_run_id), min(segment_name), "
        "count(*) filter (where mlflow_run_id is null or segment_name is null), max(cast(logical_date as varchar)) "
        "from marts.customer_segments",
    )[0]
    segments, runs, a_name, missing, logical_date = rows
    assert segments >= 2
    assert runs == 1
    assert a_name
    assert missing == 0
    assert logical_date == LOGICAL_DATE


@pytest.mark.slow
def test_identities_meet_the_accuracy_targets_against_ground_truth(platform_run):
    from bench.identity_quality import identity_metrics

    data_dir, _, _ = platform_run
    metrics = identity_metrics(data_dir / "warehouse" / "warehouse.duckdb", data_dir / "landing" / "_truth")
    assert metrics["precision"] >= 0.99, metrics
    assert metrics["recall"] >= 0.95, metrics


@pytest.mark.slow
def test_segments_recover_the_planted_archetypes(platform_run):
    from bench.segment_quality import segmentation_ari

    data_dir, _, _ = platform_run
    quality = segmentation_ari(data_dir / "warehouse" / "warehouse.duckdb", data_dir / "landing" / "_truth")
    assert quality["known_buyers"] >= 1000, quality
    assert quality["ari_known_buyers"] >= 0.7, quality
    assert quality["ml_segments"] >= 2, quality
    assert quality["max_ml_segment_anonymous_share"] <= 0.5, quality


@pytest.mark.slow
def test_everyone_outside_the_ml_segments_carries_their_lifecycle_stage(platform_run):
    data_dir, _, _ = platform_run
    rows = _query(
        data_dir,
        "select s.segment_kind, l.lifecycle_stage, count(*), count(distinct s.segment_name), "
        "bool_and(s.segment_id < 0) from marts.customer_segments s "
        "inner join marts.customer_lifecycle l using (unified_customer_id) group by all order by all",
    )
    kinds = {(kind, stage): (n, names, negative) for kind, stage, n, names, negative in rows}
    assert ("lifecycle", "anonymous") in kinds and ("lifecycle", "prospect") in kinds, kinds
    assert not any(kind == "ml" and stage in ("anonymous", "prospect") for kind, stage in kinds), kinds
    assert all(
        names == 1 and negative for (kind, _), (_, names, negative) in kinds.items() if kind == "lifecycle"
    )


@pytest.mark.slow
def test_lakehouse_counts_reconcile_with_manifests(platform_run):
    import json

    data_dir, _, _ = platform_run
    manifests = list(
        (data_dir / "lakehouse" / "_manifests").glob(f"*/ingest_date={LOGICAL_DATE}/manifest.json")
    )
    assert len(manifests) == len(SOURCES)  # one per demo source, a source without a drop included
    for path in manifests:
        manifest = json.loads(path.read_text())
        assert manifest["rows_read"] == manifest["rows_bronze"] + manifest["rows_quarantined"], path


@pytest.mark.slow
def test_predictions_meet_the_demo_targets_and_cover_every_buyer(platform_run):
    from mlflow import MlflowClient

    data_dir, _, first = platform_run
    client = MlflowClient(tracking_uri=f"sqlite:///{data_dir / 'mlflow' / 'mlflow.db'}")
    churn = client.search_runs(
        [client.get_experiment_by_name("customer_churn").experiment_id], "tags.job = 'train'"
    )
    value = client.search_runs(
        [client.get_experiment_by_name("customer_clv").experiment_id], "tags.job = 'train'"
    )
    assert churn and value, "the first night trains both models"
    assert churn[0].data.metrics["roc_auc"] >= 0.80, churn[0].data.metrics
    assert value[0].data.metrics["normalized_gini"] >= 0.6, value[0].data.metrics
    buyers, scored, at_risk_ok, lineage_missing, logical_date = _query(
        data_dir,
        "select (select count(distinct unified_customer_id) from marts.fct_orders where is_completed "
        "and unified_customer_id is not null), count(*), bool_and(is_at_risk = (churn_probability > 0.70)), "
        "count(*) filter (where churn_mlflow_run_id is null or clv_mlflow_run_id is null), "
        "max(cast(logical_date as varchar)) from marts.customer_predictions",
    )[0]
    assert scored == buyers > 0 and at_risk_ok and lineage_missing == 0 and logical_date == LOGICAL_DATE
    drivers = _query(
        data_dir,
        "select count(distinct unified_customer_id), max(driver_rank) from marts.customer_prediction_drivers",
    )
    assert drivers[0][0] > 0 and drivers[0][1] <= 3
    assert "Predictions (churn risk and lifetime value):" in first.stdout


@pytest.mark.slow
def test_the_demo_builds_two_audiences_with_exports_holdouts_and_a_campaign_report(platform_run):
    import pandas as pd

    data_dir, _, first = platform_run
    audiences = dict(
        _query(
            data_dir,
            "select audience_name, count(*) filter (where is_holdout) > 0 and count(*) filter (where not is_holdout) > 0 "
            "from marts.audience_members group by 1",
        )
    )
    assert audiences == {"win_back_at_risk": True, "high_value_lookalike_seed": True}, audiences
    for audience in audiences:
        folder = data_dir / "exports" / audience / LOGICAL_DATE
        exported = pd.read_csv(folder / "members.csv")
        held_out = _query(
            data_dir,
            f"select count(*) from marts.audience_members where audience_name = '{audience}' and is_holdout",
        )[0][0]
        members = _query(
            data_dir, f"select count(*) from marts.audience_members where audience_name = '{audience}'"
        )[0][0]
        assert len(exported) == members - held_out > 0 and (folder / "members.parquet").is_file()
        assert (folder / "manifest.json").is_file()
    ads = pd.read_csv(data_dir / "exports" / "high_value_lookalike_seed" / LOGICAL_DATE / "members.csv")
    assert list(ads.columns) == ["email_sha256", "phone_sha256"], "ads get match keys only"
    report = data_dir / "reports" / "campaigns" / f"{LOGICAL_DATE}.html"
    assert report.is_file() and "win_back_at_risk" in report.read_text()
    measured = _query(
        data_dir,
        "select count(*) from marts.campaign_results where campaign_source = 'campaign_log' "
        "and segment_name = 'All' and treatment_members > 0 and holdout_members > 0",
    )[0][0]
    assert measured >= 1, "the demo's logged campaigns are measured against their holdouts"
    assert "Audiences and campaigns:" in first.stdout


@pytest.mark.slow
def test_summary_is_printed_and_written(platform_run):
    data_dir, _, first = platform_run
    assert "Segments:" in first.stdout and "Where to look next:" in first.stdout
    assert (data_dir / "runs" / f"{LOGICAL_DATE}.json").exists()


@pytest.mark.slow
def test_the_run_leaves_what_the_uis_show_and_said_what_it_was_doing(platform_run):
    data_dir, _, first = platform_run
    assert (
        data_dir / "dbt" / "target" / "static_index.html"
    ).is_file() and "dbt docs written" in first.stdout
    assert (data_dir / "dq" / "data_docs" / "static" / "offline" / "jquery-3.7.1" / "jquery.min.js").is_file()
    index = (data_dir / "dq" / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert "code.jquery.com" not in index and "static/offline/" in index
    nightly = data_dir / "airflow" / "logs" / "dag_id=customer_platform_nightly"
    task_logs = list(nightly.glob("run_id=*/task_id=*/attempt=1.log"))
    assert len(task_logs) >= 20 and all(log.stat().st_size > 0 for log in task_logs)
    assert "load_examples = False" in (data_dir / "airflow" / "airflow.cfg").read_text(encoding="utf-8")
    # Progress of long tasks reaches the terminal while they run, not only their end.
    assert "rows read" in first.stdout and "validated silver." in first.stdout


@pytest.mark.slow
def test_the_dashboard_shows_the_demos_segments_drift_and_quality(platform_run, tmp_path):
    from tests.dashboard.expected import expected_metrics, mismatches, shown_in_html

    data_dir, env, first = platform_run
    drift = dict(
        _query(
            data_dir,
            "select model_name, count(*) from marts.model_monitoring "
            "where check_type = 'feature_psi' and status = 'ok' and logical_date = ? group by 1",
            [LOGICAL_DATE],
        )
    )
    assert set(drift) == {"customer_segmentation", "customer_churn", "customer_clv"}, drift
    assert "Monitoring (drift, stability, KPI anomalies):" in first.stdout
    page = tmp_path / "dashboard.html"
    rendered = _cdp(["dashboard", "--render-only", str(page)], env)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    html = page.read_text(encoding="utf-8")
    for section in ("Segments", "Data quality and drift", "Identity resolution", "Audiences and campaigns"):
        assert f"<h2>{section}" in html, section
    expected = expected_metrics(data_dir / "warehouse" / "warehouse.duckdb")
    assert any(key.startswith("drift-status:") for key in expected)
    assert mismatches(expected, shown_in_html(html)) == []
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    where_next = readme.split("## Where to look next", 1)[1].split("\n## ", 1)[0]
    assert "cdp dashboard" in where_next


@pytest.mark.slow
def test_rerunning_the_date_is_idempotent(platform_run):
    data_dir, env, _ = platform_run
    sql = "select unified_customer_id, segment_id, segment_name from marts.customer_segments order by 1"
    before = _query(data_dir, sql)
    history_before = _query(data_dir, "select count(*) from marts.segment_history")[0][0]
    again = _cdp(["run", "--date", LOGICAL_DATE], env)
    assert again.returncode == 0, again.stderr[-4000:]
    assert "reusing landing data" in again.stdout
    assert _query(data_dir, sql) == before
    assert _query(data_dir, "select count(*) from marts.segment_history")[0][0] == history_before


def _thin_drop(landing: Path, source: str, from_date: str, to_date: str, keep: float) -> None:
    """Copy one day's drop to another date keeping only a share of its data lines."""
    for src in (landing / source / from_date).iterdir():
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        header, body = (lines[:1], lines[1:]) if src.suffix == ".csv" else ([], lines)
        target = landing / source / to_date / src.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(header + body[: max(1, int(len(body) * keep))]), encoding="utf-8")


@pytest.mark.slow
def test_a_critical_gate_failure_stops_the_run_and_keeps_yesterdays_segments(platform_run):
    """A day at 10% of normal volume fails the silver gate; nothing downstream runs."""
    import json

    data_dir, env, _ = platform_run
    bad_date = "2026-07-01"
    landing = data_dir / "landing"
    for source in ("crm_customers", "web_orders", "pos_orders", "web_events", "email_engagement"):
        _thin_drop(landing, source, LOGICAL_DATE, bad_date, keep=0.1)
    segments_sql = "select unified_customer_id, segment_id, cast(logical_date as varchar) from marts.customer_segments order by 1"
    before = _query(data_dir, segments_sql)

    failed = _cdp(["run", "--date", bad_date], env)

    assert failed.returncode != 0
    assert "silver gate failed" in failed.stderr
    assert _query(data_dir, segments_sql) == before, "yesterday's segments must stay untouched"
    assert not (data_dir / "runs" / f"{bad_date}.json").exists(), "the summary task must not run"
    records = [json.loads(line) for line in (data_dir / "runs" / "failures.jsonl").read_text().splitlines()]
    gate_failures = [r for r in records if r["logical_date"] == bad_date and r["task_id"] == "silver_gate"]
    assert any("silver gate failed" in r["reason"] for r in gate_failures), gate_failures


def _person_to_erase(data_dir: Path):
    """A person the win-back export holds (so exports, activation and predictions do too), known by email,
    phone and CRM id, resolved into one unified customer, whose first and last name no one else shares."""
    import pandas as pd

    truth = pd.read_csv(data_dir / "landing" / "_truth" / "persons.csv", dtype=str, keep_default_na=False)
    pairs = truth.groupby(["first_name", "last_name"]).person_id.transform("count")
    exported = pd.read_csv(
        data_dir / "exports" / "win_back_at_risk" / LOGICAL_DATE / "members.csv", dtype=str
    )
    candidates = truth[(pairs == 1) & (truth.phone != "") & (truth.crm_customer_id != "")]
    candidates = candidates.merge(exported[["unified_customer_id", "email"]], on="email")
    for person in candidates.itertuples():
        records = _query(
            data_dir,
            "select distinct unified_customer_id, source_record_id from marts.customer_identity_map "
            "where unified_customer_id = ? or source_record_id = ?",
            [person.unified_customer_id, person.crm_customer_id],
        )
        if {u for u, _ in records} == {person.unified_customer_id}:
            return person, sorted({r for _, r in records})
    raise AssertionError("no exported person with a phone, a CRM id and a unique name")


@pytest.mark.slow
def test_an_erased_person_leaves_no_byte_in_any_file(platform_run, tmp_path):
    """Runs last in this module: it erases a person from the demo the tests above read.

    Erased through Airflow (`cdp erase --airflow`: the DAG gets a request id only) by a messy
    spelling of their email and a national spelling of their phone, after a whole `cdp run`
    (and the reruns above) wrote everything the platform writes: landing, lakehouse,
    warehouse, GX results and Data Docs, MLflow runs and models, exports, reports, run
    summaries and failure records, dbt and Airflow logs and databases. Then every byte of
    every file under the data folder is searched (`tests/privacy/person_search.py`), except
    the generator's ground truth (`landing/_truth`), which is test data, not platform data.
    """
    import json

    from tests.privacy.person_search import PersonNeedles, search_files, search_warehouse

    data_dir, env, _ = platform_run
    person, record_ids = _person_to_erase(data_dir)
    ids = [person.unified_customer_id, person.crm_customer_id, person.loyalty_id, *record_ids]
    emails = [person.email, person.second_email]
    needles = PersonNeedles.of(
        emails, person.phone, person.first_name, person.last_name, ids, "cdp-demo-salt-change-me"
    )
    # The searches see them first: raw files in landing and exports, rows in the warehouse (DuckDB
    # compresses strings in its file, so a byte search alone does not see its live rows).
    seen = search_files(data_dir, needles, under=("landing", "exports"))
    assert {path.split("/")[0] for path in seen} == {"landing", "exports"}, "the byte search sees them"
    warehouse = data_dir / "warehouse" / "warehouse.duckdb"
    # The run sealed the restricted database (raw identifiers): only its encrypted file is left.
    restricted = data_dir / "restricted" / "restricted.duckdb"
    assert restricted.with_name("restricted.duckdb.sealed").is_file() and not restricted.exists()
    assert "marts.customer_identity_map" in search_warehouse(warehouse, needles)
    assert "pii.customer_contacts" in search_warehouse(_unsealed_copy(data_dir, tmp_path / "before"), needles)

    national = "0" + person.phone[3:7] + " " + person.phone[7:]
    erased = _cdp(["erase", "--airflow", "--email", f"  {person.email.upper()} ", "--phone", national], env)

    assert erased.returncode == 0, (erased.stdout[-3000:], erased.stderr[-3000:])
    output = "\n" + erased.stdout  # Airflow's migration log comes first; the audit record is printed last
    record = json.loads(output[output.rindex("\n{") + 1 :])
    assert record["status"] == "erased" and record["unified_customers"] == 1 and record["warehouse_compacted"]
    assert not any(t in erased.stdout.lower() for t in needles.tokens), "the audit record names no one"
    assert not list((data_dir / "privacy" / "requests").iterdir()), "the queued request is deleted when done"
    assert search_warehouse(warehouse, needles) == {}
    assert search_warehouse(_unsealed_copy(data_dir, tmp_path / "after"), needles) == {}
    assert search_files(data_dir, needles) == {}
