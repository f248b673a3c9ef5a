"""Next-best-action rule files: parsed and checked with one-line errors naming the file and the key."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml

from activation.action_rules import (
    ActionRuleError,
    check_action_rules,
    load_action_rules,
    parse_action_rule,
)
from activation.catalog import load_catalog
from customer_platform.config import REPO_ROOT

RULE = """
    id: winback
    description: High churn risk, top value deciles.
    channel: email
    priority: 10
    when:
      all:
        - churn_risk_band: {in: [high]}
        - clv_decile: {gte: 6}
    action:
      type: offer
      code: WINBACK20
"""


def write_rule(directory: Path, name: str, body: str, suffix: str = ".yml") -> Path:
    """Write `<directory>/<name><suffix>` from an indented YAML body."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}{suffix}"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def catalog():
    """The catalog of a warehouse holding profiles, lifecycle and predictions."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_customers (unified_customer_id varchar, has_email boolean, has_phone boolean)"
    )
    con.execute("create table marts.customer_segments (unified_customer_id varchar, segment_name varchar)")
    con.execute(
        "create table marts.customer_lifecycle (unified_customer_id varchar, lifecycle_stage varchar)"
    )
    con.execute(
        "create table marts.customer_predictions (unified_customer_id varchar, churn_risk_band varchar, "
        "clv_decile integer)"
    )
    yield load_catalog(con)
    con.close()


def test_a_valid_rule_is_loaded_with_its_action_and_compiles(tmp_path, catalog):
    write_rule(tmp_path, "winback", RULE)
    (rule,) = load_action_rules(tmp_path)
    assert (rule.id, rule.channel, rule.priority, rule.action_type, rule.action_code) == (
        "winback", "email", 10, "offer", "WINBACK20",
    )  # fmt: skip
    compiled = check_action_rules([rule], catalog)["winback"]
    assert compiled.params == ("high", 6)
    assert compiled.columns == ("churn_risk_band", "clv_decile")


def _with(body: str, old: str, new: str) -> str:
    assert old in body, old
    return body.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("priority: 10", "priority: 10\n    prio: 3", "winback.yml: unknown key 'prio'"),
        ("channel: email", "channel: fax", "winback.yml.channel: 'fax' is not one of email, sms, ads"),
        ("priority: 10", "priority: high", "winback.yml.priority: expected an integer within 1..1000, got 'high'"),
        ("priority: 10", "priority: 0", "winback.yml.priority: expected an integer within 1..1000, got 0"),
        ("priority: 10", "priority: 2.5", "winback.yml.priority: expected an integer within 1..1000, got 2.5"),
        ("priority: 10", "priority: true", "winback.yml.priority: expected an integer within 1..1000, got True"),
        ("id: winback", "id: win_back", "winback.yml.id: 'win_back' must equal the file name (winback)"),
        ("type: offer", "type: coupon", "winback.yml.action.type: 'coupon' is not one of offer, content"),
        ("code: WINBACK20", "code: 'WIN BACK'", "winback.yml.action.code: 'WIN BACK' must match"),
        ("code: WINBACK20", "code: WINBACK20\n      url: x", "winback.yml.action: unknown key 'url'"),
        ("priority: 10", "priority: 10\n    start_date: 2026-07-01\n    end_date: 2026-06-01",
         "winback.yml.end_date: 2026-06-01 is before start_date 2026-07-01"),
        ("priority: 10", "priority: 10\n    enabled: 'yes'", "winback.yml.enabled: expected true or false"),
        ("channel: email\n    ", "", "winback.yml: missing required key 'channel'"),
    ],
)  # fmt: skip
def test_a_bad_value_is_one_line_naming_the_file_and_key(tmp_path, old, new, message):
    write_rule(tmp_path, "winback", _with(RULE, old, new))
    with pytest.raises(ActionRuleError) as error:
        load_action_rules(tmp_path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("{no_such_column: {eq: 1}}", "winback.yml: when.no_such_column: unknown column 'no_such_column'"),
        ("{clv_decile: {greater: 5}}", "winback.yml: when.clv_decile.greater: unknown operator 'greater'"),
        ("{lifecycle_stage: {gt: new}}", "winback.yml: when.lifecycle_stage.gt: gt needs a number or date column"),
        ("{clv_decile: {eq: high}}", "winback.yml: when.clv_decile.eq: 'high' is not a number value"),
        ("{all: [{clv_decile: {gte: 6}}, {favourite_colour: {eq: red}}]}", "winback.yml: when.all[1].favourite_colour: unknown column"),
        # an attempt to smuggle SQL through a column name is an unknown column, never SQL
        ("{'clv_decile\" > 0 or 1=1 --': {eq: 1}}", "winback.yml: when.clv_decile\" > 0 or 1=1 --: unknown column"),
    ],
)  # fmt: skip
def test_a_condition_that_does_not_fit_the_catalog_names_the_file_and_the_place(
    tmp_path, catalog, when, message
):
    write_rule(
        tmp_path,
        "winback",
        _with(RULE, RULE[RULE.index("when:") : RULE.index("action:")], f"when: {when}\n    "),
    )
    rules = load_action_rules(tmp_path)
    with pytest.raises(ActionRuleError) as error:
        check_action_rules(rules, catalog)
    assert message in str(error.value)


def test_a_column_from_a_mart_not_built_yet_says_which_table_is_missing(tmp_path, catalog):
    write_rule(tmp_path, "winback", _with(RULE, "clv_decile: {gte: 6}", "engagement_score: {gte: 6}"))
    with pytest.raises(
        ActionRuleError, match="comes from marts.customer_engagement, which the warehouse does not"
    ):
        check_action_rules(load_action_rules(tmp_path), catalog)


def test_two_files_with_the_same_id_are_refused(tmp_path):
    write_rule(tmp_path, "winback", RULE)
    write_rule(tmp_path, "winback", RULE, suffix=".yaml")
    with pytest.raises(
        ActionRuleError, match=r"winback\.yml\.id: duplicate id 'winback' \(also in winback\.yaml\)"
    ):
        load_action_rules(tmp_path)


def test_invalid_yaml_and_a_missing_folder_are_named(tmp_path):
    write_rule(tmp_path, "broken", "id: [unclosed\n")
    with pytest.raises(ActionRuleError, match=r"^broken\.yml: not valid YAML"):
        load_action_rules(tmp_path)
    with pytest.raises(ActionRuleError, match="CDP_ACTION_RULES_DIR .* is not a directory"):
        load_action_rules(tmp_path / "absent")


def test_activity_follows_the_dates_and_the_switch(tmp_path):
    path = tmp_path / "winback.yml"
    raw = yaml.safe_load(textwrap.dedent(RULE))
    dated = parse_action_rule(raw | {"start_date": "2026-06-01", "end_date": "2026-06-30"}, path)
    assert not dated.is_active(dt.date(2026, 5, 31))
    assert dated.is_active(dt.date(2026, 6, 1)) and dated.is_active(dt.date(2026, 6, 30))
    assert not dated.is_active(dt.date(2026, 7, 1))
    assert not parse_action_rule(raw | {"enabled": False}, path).is_active(dt.date(2026, 6, 15))
    assert parse_action_rule(raw, path).is_active(dt.date(1999, 1, 1))


def test_the_version_changes_with_the_definition_only(tmp_path):
    raw = yaml.safe_load(textwrap.dedent(RULE))
    first = parse_action_rule(raw, tmp_path / "winback.yml")
    moved = parse_action_rule(raw, tmp_path / "elsewhere" / "winback.yml")
    assert first.version == moved.version and len(first.version) == 12
    assert parse_action_rule(raw | {"priority": 11}, tmp_path / "winback.yml").version != first.version
    changed_when = raw | {"when": {"clv_decile": {"gte": 7}}}
    assert parse_action_rule(changed_when, tmp_path / "winback.yml").version != first.version


def test_the_shipped_rules_load_and_fit_the_catalog_of_the_marts(catalog):
    rules = load_action_rules(REPO_ROOT / "activation" / "rules")
    compiled = check_action_rules(rules, catalog)
    assert set(compiled) == {rule.id for rule in rules} and len(rules) >= 4
    assert {rule.channel for rule in rules} == {"email", "sms", "ads"}
    assert {rule.action_type for rule in rules} == {"offer", "content", "product_recommendation"}
    assert "lifecycle_stage" in compiled["welcome_series_new"].columns
