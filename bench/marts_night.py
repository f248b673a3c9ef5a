"""A next night's marts for the marts-gate benchmark, made from one night's warehouse and the next day's silver.

    python -m bench.marts_night WAREHOUSE OUT --silver LAKEHOUSE/silver --date 2026-06-02
    python -m bench.marts_night WAREHOUSE OUT --times 10     # the marts of N copies of the customers

Rebuilding the warehouse for the second date needs the whole platform (ingestion and dbt);
`bench.marts_gate` only needs the marts as dbt would leave them, so this copies the first
night's warehouse and moves it one day, the way the marts move:
- for every customer: `logical_date` + 1, `recency_days` + 1 (0 for the day's buyers),
  `tenure_days` + 1, `days_since_last_engagement` + 1 (0 for customers active that day);
- the customers with facts in the date's silver partitions (orders matched through the CRM
  id or the email hash, web events through the cookie, email events through the email hash)
  get one more order, session or email, and the RFM quintiles are recomputed as
  `customer_rfm.sql` does (`ntile(5)` with the customer id breaking ties);
- each buyer gets one new row in `fct_orders`.
Identity, segments and dimensions are left as they were.

`--times N` instead writes the marts the gate reads with every customer (and order and
identity record) N times under suffixed ids: the same night at N times the scale, for
measuring the gate where no warehouse of that size is at hand.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import duckdb

ACTIVE = """
create temp table active_customers as
with identities as (select source, source_record_id, unified_customer_id from marts.customer_identity_map)
select unified_customer_id, bool_or(kind = 'order') as bought, bool_or(kind = 'web') as browsed,
       bool_or(kind = 'email') as emailed
from (
    select i.unified_customer_id, 'crm' as kind from read_parquet($crm) as s
    join identities as i on i.source = 'crm_customers' and i.source_record_id = s.customer_id
    union all
    select i.unified_customer_id, 'order' from read_parquet($web_orders) as s
    join identities as i on i.source = 'crm_customers' and i.source_record_id = s.customer_id
    union all
    select d.unified_customer_id, 'order' from read_parquet($pos_orders) as s
    join marts.dim_customers as d on d.email_hash = s.email_hash
    union all
    select i.unified_customer_id, 'web' from read_parquet($web_events) as s
    join identities as i on i.source = 'web_events' and i.source_record_id = s.cookie_id
    union all
    select d.unified_customer_id, 'email' from read_parquet($email_events) as s
    join marts.dim_customers as d on d.email_hash = s.email_hash
)
group by unified_customer_id
"""
SILVER_TABLES = {
    "crm": "crm_customers",
    "web_orders": "web_order_lines",
    "pos_orders": "pos_order_lines",
    "web_events": "web_events",
    "email_events": "email_events",
}
MOVES = (
    """
create or replace table marts.customer_rfm as
with moved as (
    select r.* replace (
        r.logical_date + 1 as logical_date,
        case when a.bought then 0 else r.recency_days + 1 end as recency_days,
        r.frequency + coalesce(a.bought::int, 0) as frequency,
        r.monetary + 50 * coalesce(a.bought::int, 0) as monetary)
    from marts.customer_rfm as r left join active_customers as a using (unified_customer_id)
)
select * replace (
    ntile(5) over (order by recency_days desc, unified_customer_id) as r_score,
    ntile(5) over (order by frequency, unified_customer_id) as f_score,
    ntile(5) over (order by monetary, unified_customer_id) as m_score)
from moved
""",
    """
create or replace table marts.customer_features as
select f.* replace (
    f.logical_date + 1 as logical_date,
    case when a.bought then 0 else f.recency_days + 1 end as recency_days,
    f.tenure_days + 1 as tenure_days,
    case when a.unified_customer_id is null then f.days_since_last_engagement + 1 else 0 end
        as days_since_last_engagement,
    f.frequency + coalesce(a.bought::int, 0) as frequency,
    f.sessions + coalesce(a.browsed::int, 0) as sessions,
    f.emails_sent + coalesce(a.emailed::int, 0) as emails_sent,
    coalesce(r.r_score, f.r_score) as r_score,
    coalesce(r.f_score, f.f_score) as f_score,
    coalesce(r.m_score, f.m_score) as m_score,
    coalesce(r.monetary, f.monetary) as monetary)
from marts.customer_features as f
left join active_customers as a using (unified_customer_id)
left join marts.customer_rfm as r using (unified_customer_id)
""",
    """
create or replace table marts.customer_lifecycle as
select l.* replace (
    l.logical_date + 1 as logical_date,
    l.lifetime_orders + coalesce(a.bought::int, 0) as lifetime_orders)
from marts.customer_lifecycle as l left join active_customers as a using (unified_customer_id)
""",
    """
insert into marts.fct_orders by name
select o.* replace (
    'web:bench-' || row_number() over () as order_id,
    a.unified_customer_id as unified_customer_id,
    cast($date as timestamp) + interval 12 hour as ordered_at)
from active_customers as a
cross join (select * from marts.fct_orders where channel = 'web' limit 1) as o
where a.bought
""",
)


def next_night(warehouse: Path, out: Path, silver: Path, date: str) -> dict[str, int]:
    """Write `out`: `warehouse` moved to `date`; returns how many customers were active, by kind."""
    shutil.copy(warehouse, out)
    connection = duckdb.connect(str(out))
    try:
        parts = {k: str(silver / t / f"ingest_date={date}" / "*.parquet") for k, t in SILVER_TABLES.items()}
        connection.execute(ACTIVE, parts)
        for statement in MOVES:
            connection.execute(statement, {"date": date} if "$date" in statement else None)
        active, bought, browsed, emailed = connection.execute(
            "select count(*), count(*) filter (where bought), count(*) filter (where browsed), "
            "count(*) filter (where emailed) from active_customers"
        ).fetchone()
    finally:
        connection.close()
    return {"active": active, "bought": bought, "browsed": browsed, "emailed": emailed}


#: The marts the gate reads and the id columns made distinct per copy.
REPLICATED = {
    "customer_rfm": ("unified_customer_id",),
    "customer_features": ("unified_customer_id",),
    "customer_lifecycle": ("unified_customer_id",),
    "customer_segments": ("unified_customer_id",),
    "dim_customers": ("unified_customer_id",),
    "fct_orders": ("order_id", "unified_customer_id"),
    "customer_identity_map": ("source_record_id", "unified_customer_id"),
}


def replicate(warehouse: Path, out: Path, times: int) -> dict[str, int]:
    """Write `out` with the gate's marts of `warehouse` repeated `times` times; returns rows per table."""
    out.unlink(missing_ok=True)
    connection = duckdb.connect(str(out))
    try:
        connection.execute(f"attach '{_literal(warehouse)}' as source (read_only)")
        connection.execute("create schema marts")
        counts = {}
        for table, ids in REPLICATED.items():
            suffixed = ", ".join(f"{c} || '-' || copy as {c}" for c in ids)
            connection.execute(
                f"create table marts.{table} as select t.* replace ({suffixed}) "
                f"from source.marts.{table} as t cross join range({int(times)}) as copies(copy)"
            )
            counts[table] = connection.execute(f"select count(*) from marts.{table}").fetchone()[0]
    finally:
        connection.close()
    return counts


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def main(argv: list[str] | None = None) -> int:
    """CLI: write the next night's warehouse and print the active customers."""
    parser = argparse.ArgumentParser(prog="python -m bench.marts_night", description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="the first night's warehouse (read, never changed)")
    parser.add_argument("out", type=Path, help="where to write the next night's warehouse")
    parser.add_argument("--silver", type=Path, help="the lakehouse's silver folder")
    parser.add_argument("--date", help="the next night's logical date, YYYY-MM-DD")
    parser.add_argument("--times", type=int, help="instead: repeat every customer this many times")
    args = parser.parse_args(argv)
    if args.times:
        print(replicate(args.warehouse, args.out, args.times))
    elif args.silver and args.date:
        print(next_night(args.warehouse, args.out, args.silver, args.date))
    else:
        parser.error("give --silver and --date (the next night) or --times (a larger scale)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
