"""Next best action on a hand-made warehouse: the winning rule per customer and channel, idempotent per date."""

from __future__ import annotations

import textwrap

import duckdb
import pandas as pd
import pytest

from activation.action_rules import ActionRuleError, load_action_rules
from activation.next_best_action import (
    CURRENT_TABLE,
    HISTORY_TABLE,
    rules_frame,
    run_next_best_action,
    stage_winners,
)

DAY, NEXT_DAY = "2026-06-30", "2026-07-01"

#: id, email, phone, consent, lifecycle stage, churn band, CLV decile
CUSTOMERS = [
    ("U1", True, True, True, "active", "high", 9),
    ("U2", True, False, False, "new", "medium", 7),
    ("U3", True, True, True, "active", "low", 2),
    ("U4", False, True, True, "at_risk", "high", 8),
    ("U5", True, False, False, "prospect", None, None),
]

RULES = {
    "winback": """
        channel: email
        priority: 10
        when: {all: [{churn_risk_band: {in: [high, medium]}}, {clv_decile: {gte: 6}}]}
        action: {type: offer, code: WINBACK20}
    """,
    # ties with winback on priority: the smaller id (welcome < winback) wins
    "welcome": """
        channel: email
        priority: 10
        when: {lifecycle_stage: {eq: new}}
        action: {type: content, code: WELCOME_SERIES, description: Onboarding emails}
    """,
    "active_recs": """
        channel: email
        priority: 40
        when: {lifecycle_stage: {eq: active}}
        action: {type: product_recommendation, code: RECS_TOP5}
    """,
    "sms_winback": """
        channel: sms
        priority: 5
        when: {all: [{has_phone: {eq: true}}, {churn_risk_band: {eq: high}}]}
        action: {type: offer, code: WINBACK15SMS}
    """,
    # would win every active customer's email, but it ended before the logical date
    "expired": """
        channel: email
        priority: 1
        when: {lifecycle_stage: {eq: active}}
        action: {type: offer, code: OLD}
        end_date: 2026-05-31
    """,
    # a value is a bound parameter: this matches nobody instead of everybody
    "quoted_value": """
        channel: ads
        priority: 1
        when: {lifecycle_stage: {eq: "new' or '1'='1"}}
        action: {type: content, code: NOPE}
    """,
}

#: (customer, channel) -> (rule, matched rules, consent) on DAY
EXPECTED = {
    ("U1", "email"): ("winback", 2, True),
    ("U1", "sms"): ("sms_winback", 1, True),
    ("U2", "email"): ("welcome", 2, False),
    ("U3", "email"): ("active_recs", 1, True),
    ("U4", "email"): ("winback", 1, True),
    ("U4", "sms"): ("sms_winback", 1, True),
}


def write_rules(directory, rules: dict[str, str]) -> None:
    """One `<id>.yml` per rule, with its id and a description."""
    directory.mkdir(parents=True, exist_ok=True)
    for rule_id, body in rules.items():
        text = f"id: {rule_id}\ndescription: {rule_id} rule\n" + textwrap.dedent(body).lstrip()
        (directory / f"{rule_id}.yml").write_text(text, encoding="utf-8")


def build_warehouse(path) -> None:
    """The marts the rules read: profiles with consent, lifecycle, predictions (not for prospects)."""
    frame = pd.DataFrame(
        CUSTOMERS, columns=["unified_customer_id", "has_email", "has_phone", "has_marketing_consent",
                            "lifecycle_stage", "churn_risk_band", "clv_decile"],
    )  # fmt: skip
    con = duckdb.connect(str(path))
    con.register("people", frame)
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_customers as "
        "select unified_customer_id, has_email, has_phone, has_marketing_consent from people"
    )
    con.execute(
        "create table marts.customer_lifecycle as select unified_customer_id, lifecycle_stage from people"
    )
    con.execute(
        "create table marts.customer_predictions as select unified_customer_id, churn_risk_band, "
        "cast(clv_decile as integer) as clv_decile from people where churn_risk_band is not null"
    )
    con.close()


@pytest.fixture()
def nba_env(isolated_settings, tmp_path, monkeypatch):
    """Settings over the hand-made warehouse and a rule folder holding RULES."""
    from customer_platform.config import reload_settings

    rules_dir = tmp_path / "rules"
    write_rules(rules_dir, RULES)
    monkeypatch.setenv("CDP_ACTION_RULES_DIR", str(rules_dir))
    settings = reload_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    build_warehouse(settings.warehouse_path)
    yield settings, rules_dir
    reload_settings()


def read(settings, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).df()


def winners(frame: pd.DataFrame) -> dict:
    return {
        (row.unified_customer_id, row.channel): (row.rule_id, row.matched_rules, row.has_marketing_consent)
        for row in frame.itertuples()
    }


def test_per_customer_and_channel_the_lowest_priority_wins_then_the_smaller_id(nba_env):
    settings, rules_dir = nba_env
    summary = run_next_best_action(DAY)
    current = read(settings, f"select * from {CURRENT_TABLE} order by unified_customer_id, channel")
    assert winners(current) == EXPECTED
    versions = {rule.id: rule.version for rule in load_action_rules(rules_dir)}
    assert current.apply(lambda row: versions[row.rule_id] == row.rule_version, axis=1).all()
    welcome = current[current.rule_id == "welcome"].iloc[0]
    assert (welcome.action_type, welcome.action_code, welcome.action_description, welcome.priority) == (
        "content", "WELCOME_SERIES", "Onboarding emails", 10,
    )  # fmt: skip
    assert (current.logical_date.astype(str) == DAY).all()
    assert summary["rules_loaded"] == len(RULES)
    assert "expired" not in summary["rules_active"] and "quoted_value" in summary["rules_active"]
    assert summary["customers_per_channel"] == {"email": 4, "sms": 2, "ads": 0}
    assert summary["matches_per_rule"].get("quoted_value", 0) == 0
    assert summary["rows_written"] == {CURRENT_TABLE: 6, HISTORY_TABLE: 6}


def test_the_winner_does_not_depend_on_the_order_rules_are_evaluated_in(nba_env):
    from activation.catalog import load_catalog
    from activation.conditions import compile_rule

    settings, rules_dir = nba_env
    rules = [rule for rule in load_action_rules(rules_dir) if rule.id != "expired"]
    results = []
    with duckdb.connect(str(settings.warehouse_path)) as con:
        catalog = load_catalog(con)
        con.execute(f"create temp table nba_base as {catalog.base_sql()}")
        for ordered in (rules, rules[::-1]):
            con.register("frame", rules_frame(ordered))
            con.execute("create or replace temp table nba_rules as select * from frame")
            stage_winners(
                con, {rule.id: compile_rule(rule.when, catalog) for rule in ordered}, pd.Timestamp(DAY).date()
            )
            results.append(con.execute("select * from nba_rows order by all").df())
    pd.testing.assert_frame_equal(results[0], results[1])
    assert winners(results[0]) == EXPECTED


def test_re_running_a_date_writes_the_same_rows_and_history_keeps_one_copy_per_date(nba_env):
    settings, _ = nba_env
    history = f"select * from {HISTORY_TABLE} order by all"
    run_next_best_action(DAY)
    first = read(settings, history)
    run_next_best_action(DAY)
    pd.testing.assert_frame_equal(read(settings, history), first)

    with duckdb.connect(str(settings.warehouse_path)) as con:  # the next night U3 turns new
        con.execute(
            "update marts.customer_lifecycle set lifecycle_stage = 'new' where unified_customer_id = 'U3'"
        )
    run_next_best_action(NEXT_DAY)
    counts = read(
        settings, f"select logical_date::varchar as day, count(*) as n from {HISTORY_TABLE} group by 1"
    )
    assert dict(zip(counts.day, counts.n, strict=True)) == {DAY: 6, NEXT_DAY: 6}
    current = read(settings, f"select * from {CURRENT_TABLE}")
    assert (current.logical_date.astype(str) == NEXT_DAY).all()
    assert winners(current)[("U3", "email")] == ("welcome", 1, True)

    # a backfill of the earlier date rewrites its history rows and leaves the current state alone
    run_next_best_action(DAY)
    assert len(read(settings, f"select * from {HISTORY_TABLE} where logical_date = ?", [DAY])) == 6
    assert (
        read(settings, f"select logical_date from {CURRENT_TABLE}").logical_date.astype(str) == NEXT_DAY
    ).all()


def test_a_bad_rule_stops_the_run_before_anything_is_written(nba_env):
    settings, rules_dir = nba_env
    run_next_best_action(DAY)
    before = read(settings, f"select * from {HISTORY_TABLE} order by all")
    write_rules(rules_dir, {"zz_typo": RULES["welcome"].replace("lifecycle_stage", "lifecycle_stag")})
    with pytest.raises(ActionRuleError, match=r"^zz_typo\.yml: when\.lifecycle_stag: unknown column"):
        run_next_best_action(NEXT_DAY)
    pd.testing.assert_frame_equal(read(settings, f"select * from {HISTORY_TABLE} order by all"), before)


def test_a_date_on_which_no_rule_is_active_clears_that_dates_rows(nba_env):
    settings, rules_dir = nba_env
    run_next_best_action(DAY)
    for path in rules_dir.glob("*.yml"):
        if path.stem != "expired":
            path.write_text(path.read_text(encoding="utf-8") + "enabled: false\n", encoding="utf-8")
    summary = run_next_best_action(DAY)
    assert summary["rules_active"] == [] and summary["rows_written"] == {CURRENT_TABLE: 0, HISTORY_TABLE: 0}
    assert read(settings, f"select count(*) as n from {HISTORY_TABLE}").n[0] == 0


def test_a_rule_on_a_mart_not_built_yet_is_skipped_with_the_reason(nba_env):
    settings, rules_dir = nba_env
    write_rules(rules_dir, {"by_segment": RULES["welcome"].replace("lifecycle_stage", "segment_name")})
    summary = run_next_best_action(DAY)
    assert "marts.customer_segments" in summary["rules_skipped"]["by_segment"]
    assert "by_segment" not in summary["rules_active"] and "welcome" in summary["rules_active"]
    assert "by_segment" not in set(read(settings, f"select rule_id from {HISTORY_TABLE}")["rule_id"])
