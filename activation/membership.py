"""Nightly audience materialisation: who is in each active audience on a logical date.

For every audience active on the date: customers matching its rule (`activation.conditions`),
reachable on its channel, not suppressed (`activation.reachability`), each with a fixed
holdout flag (`activation.holdout`). Written in one transaction:

- `marts.audience_members`: the current members (the latest date materialised), with the
  date each entered;
- `marts.audience_membership_history`: one `entered` or `exited` row per change, per date.

Changes are computed against the state before the date (the history up to the day before),
so re-running a date rewrites the same rows, and an audience that ends or is disabled sees
all its members exit. Re-running an earlier date rewrites only that date's history.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from activation.audiences import Audience
from activation.catalog import KEY, Catalog
from activation.holdout import assign_holdout, balance_check
from activation.reachability import reachable_sql
from customer_platform.warehouse_tables import ensure_table, replace_rows, table_exists

log = logging.getLogger(__name__)

MEMBERS_TABLE = "marts.audience_members"
HISTORY_TABLE = "marts.audience_membership_history"
MEMBER_COLUMNS: dict[str, str] = {
    "audience_name": "varchar", KEY: "varchar", "channel": "varchar", "is_holdout": "boolean",
    "entered_on": "date", "logical_date": "date", "audience_version": "varchar",
}  # fmt: skip
HISTORY_COLUMNS: dict[str, str] = {
    "audience_name": "varchar", KEY: "varchar", "logical_date": "date", "change": "varchar",
    "is_holdout": "boolean", "audience_version": "varchar",
}  # fmt: skip
BALANCE_COLUMNS = ("segment_name", "rfm_segment")


@dataclass
class AudienceCounts:
    """What one audience came to on one date (counts only: safe to log and print)."""

    name: str
    channel: str
    matched: int = 0  # rule matches before consent and suppression
    members: int = 0
    holdout: int = 0
    entered: int = 0
    exited: int = 0
    balance: dict[str, dict[str, float]] = field(default_factory=dict)


def select_members(
    con: duckdb.DuckDBPyConnection, audience: Audience, catalog: Catalog, salt: str
) -> tuple[pd.DataFrame, int]:
    """(members with `is_holdout` and the balance columns, rule matches before consent) of one audience.

    Needs the temp table `suppressed_customers` (`reachability.register_suppressed`).
    """
    rule = audience.compile(catalog)
    base = catalog.base_sql()
    matched_sql = f"select base.* from ({base}) as base where {rule.sql}"
    matched = con.execute(f"select count(*) from ({matched_sql})", list(rule.params)).fetchall()[0][0]
    wanted = [c for c in BALANCE_COLUMNS if c in catalog.columns]
    select = ", ".join([f"m.{KEY}", *(f'm."{c}"' for c in wanted)])
    members = con.execute(
        f"select {select} from ({matched_sql}) as m "
        f"semi join ({reachable_sql(con, audience.channel)}) as r using ({KEY}) "
        f"anti join suppressed_customers as s using ({KEY}) order by m.{KEY}",
        list(rule.params),
    ).df()
    members["is_holdout"] = assign_holdout(audience.name, members[KEY], audience.holdout_share, salt)
    return members, int(matched)


def previous_state(con: duckdb.DuckDBPyConnection, day: dt.date) -> pd.DataFrame:
    """Members before `day` (audience, customer, holdout flag, entered_on) from the history."""
    if not table_exists(con, HISTORY_TABLE):
        return pd.DataFrame(columns=["audience_name", KEY, "is_holdout", "entered_on"])
    return con.execute(
        f"""
        select audience_name, {KEY}, is_holdout, logical_date as entered_on
        from {HISTORY_TABLE}
        where logical_date < ?
        qualify row_number() over (partition by audience_name, {KEY} order by logical_date desc) = 1
            and change = 'entered'
        """,
        [day],
    ).df()


def changes(before: pd.DataFrame, today: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(entered, exited) rows between two states of (audience_name, customer, is_holdout)."""
    keys = ["audience_name", KEY]
    merged = before[[*keys, "is_holdout"]].merge(
        today[[*keys, "is_holdout", "audience_version"]], on=keys, how="outer", indicator=True,
        suffixes=("_before", ""),
    )  # fmt: skip
    entered = merged[merged["_merge"] == "right_only"]
    exited = merged[merged["_merge"] == "left_only"].assign(is_holdout=lambda f: f["is_holdout_before"])
    return entered[[*keys, "is_holdout", "audience_version"]], exited[
        [*keys, "is_holdout", "audience_version"]
    ]


def write_membership(
    con: duckdb.DuckDBPyConnection, day: dt.date, today: pd.DataFrame, before: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write the date's history and, when it is the latest date, the current members; returns (entered, exited)."""
    entered, exited = changes(before, today)
    history = pd.concat(
        [entered.assign(change="entered"), exited.assign(change="exited")], ignore_index=True
    ).assign(logical_date=day)
    ensure_table(con, HISTORY_TABLE, HISTORY_COLUMNS)
    ensure_table(con, MEMBERS_TABLE, MEMBER_COLUMNS)
    con.register("history_rows", history[list(HISTORY_COLUMNS)])
    con.execute("create or replace temp table history_stage as select * from history_rows")
    replace_rows(con, HISTORY_TABLE, "history_stage", {"logical_date": day})
    latest = con.execute(f"select max(logical_date) from {HISTORY_TABLE}").fetchall()[0][0]
    if latest is None or day >= latest:
        entered_on = before.set_index(["audience_name", KEY])["entered_on"]
        current = today.assign(
            entered_on=[
                entered_on.get((a, c), day) for a, c in zip(today["audience_name"], today[KEY], strict=True)
            ],
            logical_date=day,
        )
        con.register("member_rows", current[list(MEMBER_COLUMNS)])
        con.execute(f"delete from {MEMBERS_TABLE}")
        con.execute(f"insert into {MEMBERS_TABLE} by name select * from member_rows")
    return entered, exited


def materialise(
    con: duckdb.DuckDBPyConnection, day: dt.date, audiences: list[Audience], catalog: Catalog, salt: str
) -> tuple[pd.DataFrame, list[AudienceCounts]]:
    """Select every active audience's members and write the tables (caller owns the transaction).

    Returns today's members (audience_name, customer, channel, is_holdout, audience_version)
    and the counts per audience.
    """
    frames, counts = [], []
    for audience in audiences:
        if not audience.is_active(day):
            continue
        members, matched = select_members(con, audience, catalog, salt)
        count = AudienceCounts(
            audience.name, audience.channel, matched, len(members), int(members["is_holdout"].sum())
        )
        count.balance = balance_check(members, BALANCE_COLUMNS)
        for column, check in count.balance.items():
            level = logging.INFO if check["balanced"] else logging.WARNING
            log.log(
                level, "audience %s: holdout against treatment on the %s mix: chi-square p = %.4f (%s)",
                audience.name, column, check["p_value"], "balanced" if check["balanced"] else "NOT balanced",
            )  # fmt: skip
        frames.append(
            members[[KEY, "is_holdout"]].assign(
                audience_name=audience.name, channel=audience.channel, audience_version=audience.version
            )
        )
        counts.append(count)
    columns = ["audience_name", KEY, "channel", "is_holdout", "audience_version"]
    today = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    before = previous_state(con, day)
    entered, exited = write_membership(con, day, today, before)
    for count in counts:
        count.entered = int((entered["audience_name"] == count.name).sum())
        count.exited = int((exited["audience_name"] == count.name).sum())
    return today, counts
