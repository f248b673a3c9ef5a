"""Per-stage DuckDB floors: the least work DuckDB needs for a stage's inputs and outputs.

Each floor reads the same files of the same run as the platform stage it stands beside and
writes an output of the same kind, with nothing the platform adds on top (no validation,
quarantine, lineage, identity resolution, models or history). Its time is therefore a lower
bound for the stage on this machine: a stage at 5× its floor spends four fifths of its time on
what the platform does beyond moving the data. `bench.floor_runs` decides which floors a run
gets and runs each in its own interpreter (`python -m bench.floors KIND SPEC_JSON`), so its
memory is measured alone.

* `ingest` (per source and date): `read_csv` / `read_json` of the landing files the ingestion
  read for that date (DuckDB's type sniffing; lines it cannot read are skipped), written as Parquet.
  The platform also parses every field against the contract, quarantines bad lines,
  deduplicates, standardises and writes bronze and silver: a floor, not a rival.
* `silver_gate`: one scan of the silver partitions the gate validated, per column the count
  and null count, and a distinct count of the natural key: the statistics most of the gate's
  expectations need, without history baselines or Great Expectations.
* `warehouse` (dbt build): the order-line and customer-record silver partitions up to the
  date, order lines keyed to a customer record through an exact shared identifier (else their
  own identifier), aggregated per customer into a DuckDB table (orders, last order date, net
  amount): "silver to a customer mart" without fuzzy identity resolution, survivorship or the
  project's other marts and tests.
* `marts_gate`: a read-only scan of the marts tables the gate validates, per column the count
  and null count (and a distinct count of the suite's key).
* `scoring`: reads the feature table and writes one score per customer (a sum of the numeric
  features, `outputs` columns) into a DuckDB table of the same row count: model evaluation
  at its cheapest, no pipeline, no write-back merge, no history.

Every floor returns rows in, rows out and the seconds of its DuckDB work (`seconds`, without
interpreter start-up; the ratios use it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

#: Stage names of floors are this prefix and the platform stage's name.
FLOOR_PREFIX = "duckdb floor: "
#: DuckDB reader of each landing format (contract `format`).
_READERS = {
    "csv": "read_csv({files}, header = true, delim = {delimiter}, ignore_errors = true, "
    "null_padding = true, union_by_name = true)",
    "jsonl": "read_json({files}, format = 'newline_delimited', ignore_errors = true, union_by_name = true)",
}
_TABLES = "select schema_name, table_name from duckdb_tables() union all select schema_name, view_name from duckdb_views()"
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def quoted(name: str) -> str:
    """`name` as a DuckDB identifier (names come from contracts and catalogues, quoted all the same)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet(paths: list[str]) -> str:
    # Partition folders hold Spark's part files; other files (_SUCCESS, locks) are not data.
    globs = ", ".join(_literal(str(Path(p) / "*.parquet")) for p in paths)
    return f"read_parquet([{globs}], union_by_name = true)"


def _timed(work) -> dict[str, Any]:
    started = time.perf_counter()
    figures = work()
    return {**figures, "seconds": round(time.perf_counter() - started, 3)}


def ingest_floor(files: list[str], file_format: str, out_dir: str, delimiter: str = ",") -> dict[str, Any]:
    """Landing files of one source and date -> one Parquet file in `out_dir`."""
    target = str(Path(out_dir) / "floor.parquet")

    def work() -> dict[str, Any]:
        reader = _READERS[file_format].format(
            files=f"[{', '.join(_literal(f) for f in files)}]", delimiter=_literal(delimiter)
        )
        with duckdb.connect() as con:
            con.execute(f"copy (select * from {reader}) to {_literal(target)} (format parquet)")
            rows = con.execute("select count(*) from read_parquet($target)", {"target": target}).fetchone()[0]
        return {"rows_in": rows, "rows_out": rows}

    return _timed(work)


def _profile(con: duckdb.DuckDBPyConnection, relation: str, key: list[str]) -> tuple[int, dict[str, int]]:
    """Rows of `relation` and null counts of its columns (plus the distinct count of `key`), in one scan."""
    columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    measures = [f"count(*) - count({quoted(c)})" for c in columns]
    if key:
        measures.append(f"count(distinct ({', '.join(quoted(k) for k in key)}))")
    values = con.execute(f"select count(*), {', '.join(measures)} from {relation}").fetchone()
    nulls = dict(zip(columns, values[1 : len(columns) + 1], strict=True))
    if key:
        nulls["distinct key"] = values[-1]
    return values[0], nulls


def silver_gate_floor(tables: list[dict[str, Any]]) -> dict[str, Any]:
    """Row, null and distinct-key counts of each silver table's partitions.

    tables: {"name", "partitions" (folders), "key" (columns)} per table.
    """

    def work() -> dict[str, Any]:
        rows, profiles = 0, {}
        with duckdb.connect() as con:
            for table in tables:
                count, profiles[table["name"]] = _profile(con, _parquet(table["partitions"]), table["key"])
                rows += count
        return {"rows_in": rows, "rows_out": len(profiles), "tables": len(profiles)}

    return _timed(work)


def _keyed(identifiers: list[dict[str, str]]) -> tuple[str, str]:
    """SQL of a row's first non-null identifier: its key space and its value."""
    space = " ".join(
        f"when {quoted(i['column'])} is not null then {_literal(i['key_space'])}" for i in identifiers
    )
    value = ", ".join(f"cast({quoted(i['column'])} as varchar)" for i in identifiers)
    return f"case {space} end", f"coalesce({value})"


def _record_keys(source: dict[str, Any]) -> str:
    """Every (key space, value) of a customer-record source pointing at its record id."""
    return " union ".join(
        f"select {_literal(i['key_space'])} as key_space, cast({quoted(i['column'])} as varchar) as key_value, "
        f"cast({quoted(source['record_id'])} as varchar) as record_id from {_parquet(source['partitions'])} "
        f"where {quoted(i['column'])} is not null"
        for i in source["identifiers"]
    )


def _order_lines(source: dict[str, Any]) -> str:
    space, value = _keyed(source["identifiers"])
    return (
        f"select cast({quoted(source['order_id'])} as varchar) as order_key, {space} as key_space, "
        f"{value} as key_value, cast({quoted(source['ordered_at'])} as date) as order_date, "
        f"{quoted(source['amount'])} as amount from {_parquet(source['partitions'])}"
    )


def warehouse_floor(
    orders: list[dict[str, Any]], customers: list[dict[str, Any]], out_path: str
) -> dict[str, Any]:
    """Silver order lines and customer records -> `customer_orders` (orders, last date, net amount per customer).

    orders: {"partitions", "order_id", "ordered_at", "amount", "identifiers"} per order-line source;
    customers: {"partitions", "record_id", "identifiers"} per customer-record source; identifiers
    are {"column", "key_space"}, in the contract's order.
    """
    owners = " union ".join(_record_keys(c) for c in customers if c["identifiers"]) or (
        "select null::varchar as key_space, null::varchar as key_value, null::varchar as record_id"
    )
    sql = f"""
        create table customer_orders as
        with record_keys as ({owners}),
        key_owners as (
            select key_space, key_value, min(record_id) as record_id from record_keys group by all
        ),
        order_lines as ({" union all ".join(_order_lines(o) for o in orders)}),
        final as (
            select
                coalesce(key_owners.record_id, order_lines.key_space || ':' || order_lines.key_value) as customer_key,
                count(distinct order_lines.order_key) as orders,
                max(order_lines.order_date) as last_order_date,
                sum(order_lines.amount) as net_amount
            from order_lines
            left join key_owners using (key_space, key_value)
            where order_lines.key_value is not null
            group by all
        )
        select * from final
    """
    read = " union all ".join(
        f"select count(*) as n from {_parquet(s['partitions'])}" for s in [*orders, *customers]
    )

    def work() -> dict[str, Any]:
        with duckdb.connect(out_path) as con:
            con.execute(sql)
            rows_in = con.execute(f"select sum(n) from ({read})").fetchone()[0]
            rows_out = con.execute("select count(*) from customer_orders").fetchone()[0]
        return {"rows_in": int(rows_in), "rows_out": rows_out}

    return _timed(work)


def marts_gate_floor(warehouse: str, tables: list[dict[str, Any]]) -> dict[str, Any]:
    """Row and null counts of each marts table (and the distinct count of its key), read-only.

    tables: {"name" (schema.table), "key" (columns, may be empty)} per table.
    """

    def work() -> dict[str, Any]:
        rows = 0
        with duckdb.connect(warehouse, read_only=True) as con:
            present = {f"{schema}.{name}" for schema, name in con.execute(_TABLES).fetchall()}
            # An optional mart the run did not build is not scanned (the gate skips it too).
            checked = [t for t in tables if t["name"] in present]
            for table in checked:
                relation = ".".join(quoted(part) for part in table["name"].split("."))
                rows += _profile(con, relation, table["key"])[0]
        return {"rows_in": rows, "rows_out": len(checked), "tables": len(checked)}

    return _timed(work)


def scoring_floor(warehouse: str, table: str, key: str, out_path: str, outputs: int = 1) -> dict[str, Any]:
    """The feature table -> `scores` in `out_path`: the key and `outputs` score columns, one row per feature row."""

    def work() -> dict[str, Any]:
        with duckdb.connect(out_path) as con:
            con.execute(f"attach {_literal(warehouse)} as wh (read_only)")
            relation = "wh." + ".".join(quoted(part) for part in table.split("."))
            described = con.execute(f"describe {relation}").fetchall()
            numeric = [
                quoted(name) for name, kind, *_ in described if kind.startswith(_NUMERIC) and name != key
            ]
            linear = " + ".join(f"coalesce({c}, 0)" for c in numeric) or "0"
            scores = ", ".join(f"({linear}) * {n + 1} as score_{n + 1}" for n in range(outputs))
            con.execute(f"create table scores as select {quoted(key)}, {scores} from {relation}")
            rows_in = con.execute(f"select count(*) from {relation}").fetchone()[0]
            rows_out = con.execute("select count(*) from scores").fetchone()[0]
        return {"rows_in": rows_in, "rows_out": rows_out, "features": len(numeric)}

    return _timed(work)


FLOORS = {
    "ingest": ingest_floor,
    "silver_gate": silver_gate_floor,
    "warehouse": warehouse_floor,
    "marts_gate": marts_gate_floor,
    "scoring": scoring_floor,
}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.floors KIND SPEC_JSON`: run one floor, print its figures as one JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in FLOORS:
        print(f"usage: python -m bench.floors {{{','.join(FLOORS)}}} SPEC_JSON", file=sys.stderr)
        return 2
    print(json.dumps(FLOORS[argv[0]](**json.loads(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
