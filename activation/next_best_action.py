"""Next best action: the winning rule per customer and channel, evaluated nightly into the warehouse.

Every rule in `CDP_ACTION_RULES_DIR` (`activation.action_rules`) is checked against the catalog
first; a bad file stops the run with its one-line error and writes nothing. The rules active
on the logical date are then matched against the catalog's one row per customer, and per
customer and channel the lowest priority wins, ties by rule id (`WINNER_ORDER`).

- `marts.next_best_action_history`: the rows of every evaluated date, replaced per date;
- `marts.next_best_action`: the current state, the rows of the latest evaluated date (a backfill
  of an earlier date rewrites that date's history and leaves the current state alone).

A recommendation, not a send: consent is enforced where audiences are exported, and each row
carries `has_marketing_consent` so a consumer can filter. Rules read the current marts (as
audiences do); the logical date decides which rules are active and stamps the rows, so a
re-run of a date over the same marts writes the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import pandas as pd

from activation.action_rules import ActionRule, check_action_rules, load_action_rules
from activation.audiences import CHANNELS
from activation.catalog import BASE_TABLE, KEY, load_catalog
from activation.conditions import Compiled, referenced_columns
from customer_platform.config import get_settings
from customer_platform.warehouse_tables import column_ddl, ensure_table, replace_rows, warehouse_transaction

log = logging.getLogger(__name__)

CURRENT_TABLE = "marts.next_best_action"
HISTORY_TABLE = "marts.next_best_action_history"
#: Per customer and channel the first matching rule in this order wins.
WINNER_ORDER = "priority, rule_id"

NBA_COLUMNS: dict[str, str] = {
    "logical_date": "date",
    KEY: "varchar",
    "channel": "varchar",
    "rule_id": "varchar",
    "rule_version": "varchar",
    "priority": "integer",
    "action_type": "varchar",
    "action_code": "varchar",
    "action_description": "varchar",
    "matched_rules": "integer",
    "has_marketing_consent": "boolean",
}
_RULE_COLUMNS = (
    "rule_id",
    "rule_version",
    "channel",
    "priority",
    "action_type",
    "action_code",
    "action_description",
)


def rules_frame(rules: list[ActionRule]) -> pd.DataFrame:
    """One row per rule: what a winning row copies from its rule."""
    rows = [
        (r.id, r.version, r.channel, r.priority, r.action_type, r.action_code, r.action_description)
        for r in rules
    ]
    return pd.DataFrame(rows, columns=list(_RULE_COLUMNS)).astype({"priority": "int64"})


def matches_sql(compiled: dict[str, Compiled], base: str) -> tuple[str, list[object]]:
    """`select <key>, rule_id` of every (customer, matching rule), over the customer rows in `base`.

    One branch per rule, `union all`: the rule's SQL and values come from `compile_rule`, its
    id is bound too, so nothing from a rule file is pasted into the text.
    """
    branches, params = [], []
    for rule_id, rule in compiled.items():
        branches.append(f"select base.{KEY}, ?::varchar as rule_id from {base} as base where {rule.sql}")
        params.extend([rule_id, *rule.params])
    return " union all ".join(branches), params


def stage_winners(con: duckdb.DuckDBPyConnection, compiled: dict[str, Compiled], day: dt.date) -> None:
    """Temp tables `nba_matches` (customer, matching rule) and `nba_rows` (NBA_COLUMNS): the winners.

    Needs temp tables `nba_base` (the catalog's base rows) and `nba_rules` (`rules_frame`).
    """
    con.execute(f"create or replace temp table nba_rows ({column_ddl(NBA_COLUMNS)})")
    if not compiled:
        con.execute(f"create or replace temp table nba_matches ({KEY} varchar, rule_id varchar)")
        return
    sql, params = matches_sql(compiled, "nba_base")
    con.execute(f"create or replace temp table nba_matches as {sql}", params)
    con.execute(
        f"""
        insert into nba_rows by name
        with ranked as (
            select m.{KEY}, r.*,
                count(*) over (partition by m.{KEY}, r.channel) as matched_rules,
                row_number() over (partition by m.{KEY}, r.channel order by {WINNER_ORDER}) as position
            from nba_matches as m
            inner join nba_rules as r using (rule_id)
        )
        select ?::date as logical_date, ranked.* exclude (position), d.has_marketing_consent
        from ranked
        left join {BASE_TABLE} as d using ({KEY})
        where ranked.position = 1
        order by {KEY}, channel
        """,
        [day],
    )


def _write(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, int]:
    ensure_table(con, HISTORY_TABLE, NBA_COLUMNS)
    replace_rows(con, HISTORY_TABLE, "nba_rows", {"logical_date": day})
    con.execute(
        f"create or replace table {CURRENT_TABLE} as select * from {HISTORY_TABLE} "
        f"where logical_date = (select max(logical_date) from {HISTORY_TABLE}) order by {KEY}, channel"
    )
    count = "select count(*) from {} where logical_date = ?"
    return {
        CURRENT_TABLE: con.execute(count.format(CURRENT_TABLE), [day]).fetchone()[0],
        HISTORY_TABLE: con.execute(count.format(HISTORY_TABLE), [day]).fetchone()[0],
    }


def _summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    per_channel = dict(con.execute("select channel, count(*) from nba_rows group by channel").fetchall())
    wins = dict(con.execute("select rule_id, count(*) from nba_rows group by rule_id").fetchall())
    matched = dict(con.execute("select rule_id, count(*) from nba_matches group by rule_id").fetchall())
    return {
        "customers_per_channel": {channel: int(per_channel.get(channel, 0)) for channel in CHANNELS},
        "matches_per_rule": {rule: int(n) for rule, n in sorted(matched.items())},
        "wins_per_rule": {rule: int(n) for rule, n in sorted(wins.items())},
    }


def run_next_best_action(logical_date: str) -> dict:
    """Evaluate the action rules for `logical_date` (YYYY-MM-DD) and write both tables; a JSON-friendly summary.

    Idempotent: re-running a date replaces that date's rows. ActionRuleError (one line naming
    the file and key) when a rule file is bad or names an unknown column; a rule on a mart not
    built yet (no segments on a short history) is skipped with the reason, like an audience.
    """
    day = dt.date.fromisoformat(logical_date)
    rules = load_action_rules(get_settings().action_rules_dir)
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as reader:
        missing = load_catalog(reader).missing
    skipped = {}
    for rule in rules:  # a mart not built yet (no segments on a small history) is a skip, not an error
        lacking = sorted(referenced_columns(rule.when) & set(missing))
        if lacking:
            skipped[rule.id] = f"needs {missing[lacking[0]]} ({', '.join(lacking)}), not built yet"
            log.warning("action rule %s skipped: %s", rule.id, skipped[rule.id])
    rules = [rule for rule in rules if rule.id not in skipped]
    active = [rule for rule in rules if rule.is_active(day)]
    with warehouse_transaction({"nba_rules_frame": rules_frame(active)}) as con:
        catalog = load_catalog(con)
        compiled = check_action_rules(rules, catalog)
        con.execute(f"create or replace temp table nba_base as {catalog.base_sql()}")
        con.execute(
            "create or replace temp table nba_rules as select rule_id::varchar as rule_id, "
            "rule_version::varchar as rule_version, channel::varchar as channel, priority::integer as priority, "
            "action_type::varchar as action_type, action_code::varchar as action_code, "
            "action_description::varchar as action_description from nba_rules_frame"
        )
        stage_winners(con, {rule.id: compiled[rule.id] for rule in active}, day)
        written = _write(con, day)
        summary = _summary(con)
    return {
        "logical_date": day.isoformat(),
        "rules_loaded": len(rules),
        "rules_active": [rule.id for rule in active],
        "rules_skipped": skipped,
        **summary,
        "rows_written": written,
    }
