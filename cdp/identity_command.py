"""`cdp identity`: what the last build did to identities, and re-linking on request.

- `cdp identity status [--date D]`: the kept Splink attribute model (trained or expert values,
  profiles it was trained on, compared attributes), how many profiles the last build re-linked
  and carried over, and the id changes recorded for the date by type. Counts only: no
  identifier is printed.
- `cdp identity relink --date D [--retrain]`: rebuild the warehouse for D (`dbt build`) with
  every profile re-linked, and with `--retrain` the attribute model trained again first.
  The marts gate and scoring follow with the next nightly run (`cdp run --date D`).
"""

from __future__ import annotations

import argparse
import json
import sys

LINKED = "restricted.intermediate.int_identity_clusters_linked"
MATCH_MODEL = "restricted.intermediate.int_identity_match_model"


def identity_status(logical_date: str) -> dict:
    """Counts of the last identity build and the id changes of `logical_date` (no identifiers)."""
    from customer_platform.restricted import attach_restricted
    from customer_platform.warehouse import connect_readonly

    con = connect_readonly()
    try:
        if not attach_restricted(con, read_only=True):
            raise FileNotFoundError("no restricted database yet: run `cdp run` first")
        present = {
            f"{catalog}.{schema}.{table}"
            for catalog, schema, table in con.execute(
                "select database_name, schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        warehouse = con.execute("select current_database()").fetchone()[0]
        needed = (LINKED, MATCH_MODEL, f"{warehouse}.marts.customer_id_changes")
        missing = [t for t in needed if t not in present]
        if missing:
            raise FileNotFoundError(
                f"no identity state in this warehouse ({', '.join(missing)}): it was built by an older "
                "version; run `cdp identity relink` or the next nightly run"
            )
        payload = con.execute(f"select payload from {MATCH_MODEL} where record_type = 'settings'").fetchone()
        model = json.loads(payload[0]) if payload else None
        profiles, relinked = con.execute(
            f"select count(*), count(*) filter (where resolved_in_build) from {LINKED} where cluster_key is not null"
        ).fetchone()
        changes = con.execute(
            "select change_type, count(*), sum(record_count) from marts.customer_id_changes "
            "where change_date = cast(? as date) group by 1 order by 1",
            [logical_date],
        ).fetchall()
        customers = con.execute("select count(distinct unified_customer_id) from marts.customer_identity_map")
        customer_count = customers.fetchone()[0]
    finally:
        con.close()
    return {
        "logical_date": logical_date,
        "unified_customers": customer_count,
        "match_model": None
        if model is None
        else {
            "attributes": model["attributes"],
            "trained": model["trained"],
            "trained_on_profiles": model["trained_on"],
            "used": model["settings"] is not None,
        },
        "profiles": profiles,
        "profiles_relinked_in_last_build": relinked,
        "profiles_carried_over": profiles - relinked,
        "id_changes": {kind: {"pairs": pairs, "records": int(records)} for kind, pairs, records in changes},
    }


def cmd_identity_status(args: argparse.Namespace) -> int:
    try:
        status = identity_status(str(args.date))
    except FileNotFoundError as exc:
        print(f"cdp identity status: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(status, indent=2))
    return 0


def cmd_identity_relink(args: argparse.Namespace) -> int:
    from customer_platform.warehouse import run_dbt

    day = str(args.date)
    overrides = {"identity_full_rebuild": True, "identity_retrain": bool(args.retrain)}
    run_dbt(["build", "--vars", json.dumps(overrides)], day)
    status = identity_status(day)
    print(json.dumps(status, indent=2))
    print(
        f"cdp identity relink: {status['profiles_relinked_in_last_build']:,} profiles re-linked for {day}"
        + (" with a retrained match model" if args.retrain else "")
        + f"; run `cdp run --date {day}` to gate and score the rebuilt marts",
        file=sys.stderr,
    )
    return 0


def add_identity_command(sub: argparse._SubParsersAction, default_date, date_type) -> None:
    """Register `identity status` and `identity relink` on the `cdp` parser."""
    identity = sub.add_parser("identity", help="identity resolution: last build's counts, re-link on request")
    commands = identity.add_subparsers(dest="identity_command", required=True)
    status = commands.add_parser("status", help="the kept match model, re-linked profiles and id changes")
    status.add_argument("--date", type=date_type, default=default_date)
    status.set_defaults(func=cmd_identity_status)
    relink = commands.add_parser(
        "relink", help="rebuild the warehouse for a date with every profile re-linked (dbt build)"
    )
    relink.add_argument("--date", type=date_type, default=default_date)
    relink.add_argument(
        "--retrain", action="store_true", help="train the Splink attribute model again before re-linking"
    )
    relink.set_defaults(func=cmd_identity_relink)
