"""Audience files and rules: checked against the warehouse's columns, never pasted into SQL."""

from __future__ import annotations

import duckdb
import pytest

from activation.audiences import AudienceError, load_audiences
from activation.catalog import load_catalog
from activation.conditions import RuleError, compile_rule
from tests.activation.conftest import WIN_BACK, write_audience


@pytest.fixture()
def catalog(activation_env):
    settings, _, _ = activation_env
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return load_catalog(con)


def _count(settings, rule, catalog) -> int:
    compiled = compile_rule(rule, catalog)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        sql = f"select count(*) from ({catalog.base_sql()}) as base where {compiled.sql}"
        return con.execute(sql, list(compiled.params)).fetchall()[0][0]


def test_the_catalog_types_columns_from_the_warehouse_and_names_missing_tables(catalog):
    assert catalog.columns["clv_decile"].type == "number"
    assert catalog.columns["churn_risk_band"].type == "text"
    assert catalog.columns["has_marketing_consent"].type == "boolean"
    assert catalog.missing["engagement_score"] == "marts.customer_engagement"
    assert "marts.customer_engagement" in catalog.describe("engagement_score")


def test_rules_select_what_they_say(activation_env, catalog):
    settings, people, _ = activation_env
    rule = {"all": [{"churn_risk_band": {"in": ["high", "medium"]}}, {"clv_decile": {"gte": 5}}]}
    expected = int((people["churn_risk_band"].isin(["high", "medium"]) & (people["clv_decile"] >= 5)).sum())
    assert _count(settings, rule, catalog) == expected > 0
    negated = {"not": {"segment_name": {"eq": "Lapsing customers"}}}
    assert _count(settings, negated, catalog) == int((people["segment_name"] != "Lapsing customers").sum())
    between = {"any": [{"recency_days": {"between": [10, 20]}}, {"clv_decile": {"eq": 10}}]}
    wanted = people["recency_days"].between(10, 20) | (people["clv_decile"] == 10)
    assert _count(settings, between, catalog) == int(wanted.sum())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"clv_decil": {"gte": 5}}, "rule.clv_decil: unknown column 'clv_decil'"),
        ({'segment_name" = 1; drop table marts.dim_customers; --': {"eq": 1}}, "unknown column"),
        ({"clv_decile": {"gte": "5"}}, "rule.clv_decile.gte: '5' is not a number value"),
        ({"segment_name": {"gt": "A"}}, "gt needs a number or date column"),
        ({"segment_name": {"like": "A%"}}, "unknown operator 'like'"),
        ({"all": []}, "rule.all: expected a non-empty list"),
        ({"all": [{"clv_decile": {"in": []}}]}, "rule.all[0].clv_decile.in: expected a list"),
        ({"engagement_score": {"gt": 1}}, "comes from marts.customer_engagement"),
        (["clv_decile"], "expected a mapping with one key"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_place(catalog, rule, message):
    with pytest.raises(RuleError, match=message.replace("[", r"\[").replace("(", r"\(")):
        compile_rule(rule, catalog)


def test_an_injection_attempt_in_a_value_is_only_a_value(activation_env, catalog):
    settings, _, _ = activation_env
    rule = {"segment_name": {"eq": "x' or '1'='1"}}
    assert _count(settings, rule, catalog) == 0
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_customers").fetchall()[0][0] == 600


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("channel: email", "channel: fax"), "win_back.yml.channel: 'fax' is not one of email, sms, ads"),
        (
            ("holdout_share: 0.2", "holdout_share: 0.9"),
            "win_back.yml.holdout_share: expected a number within 0..0.5",
        ),
        (("owner: crm", "ownr: crm"), "win_back.yml: unknown key 'ownr'"),
        (
            ("start_date: 2026-06-01", "start_date: 2026-6-1x"),
            "win_back.yml.start_date: '2026-6-1x' is not a date",
        ),
        (("- {type: file}", "- {type: ftp}"), "win_back.yml.destinations[0].type: 'ftp'"),
        (("- {type: file}", "- {type: webhook}"), "a webhook needs exactly one of url or url_env"),
        (("name: win_back", "name: other_name"), "must equal the file name"),
        (("rule:", "rule: [\n"), "win_back.yml: not valid YAML"),
    ],
)
def test_a_bad_audience_file_gets_one_line_naming_file_and_key(tmp_path, edit, message):
    folder = tmp_path / "audiences"
    write_audience(folder, "win_back", WIN_BACK.replace(*edit))
    with pytest.raises(AudienceError) as error:
        load_audiences(folder)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_rule_error_names_the_audience_file(tmp_path, catalog):
    folder = tmp_path / "audiences"
    write_audience(folder, "win_back", WIN_BACK.replace("clv_decile: {gte: 5}", "clv_decile: {gte: high}"))
    (audience,) = load_audiences(folder)
    with pytest.raises(
        AudienceError, match=r"^win_back\.yml: rule\.all\[1\]\.clv_decile\.gte: 'high' is not a number"
    ):
        audience.compile(catalog)


def test_the_shipped_audiences_parse():
    from customer_platform.config import REPO_ROOT

    names = {a.name for a in load_audiences(REPO_ROOT / "activation" / "audiences")}
    assert {"win_back_at_risk", "high_value_lookalike_seed"} <= names
