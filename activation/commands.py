"""What `cdp audiences list` and `cdp audiences validate` show: files, checks, member counts."""

from __future__ import annotations

from typing import Any

import duckdb

from activation.audiences import check_audiences, load_audiences
from activation.catalog import load_catalog
from activation.membership import MEMBERS_TABLE
from customer_platform.config import get_settings, parse_iso_date
from customer_platform.warehouse_tables import table_exists


def _open_warehouse() -> duckdb.DuckDBPyConnection | None:
    path = get_settings().warehouse_path
    return duckdb.connect(str(path), read_only=True) if path.is_file() else None


def validate_audiences() -> str:
    """Check every audience file, and each rule against the warehouse when one exists; a line to print."""
    settings = get_settings()
    audiences = load_audiences(settings.audiences_dir)
    con = _open_warehouse()
    if con is None:
        return f"ok: {len(audiences)} audience file(s) in {settings.audiences_dir} (no warehouse yet: rules not checked against columns)"
    try:
        catalog = load_catalog(con)
    finally:
        con.close()
    check_audiences(audiences, catalog)
    return f"ok: {len(audiences)} audience file(s) in {settings.audiences_dir}, every rule fits the warehouse"


def describe_audiences(ds: str) -> list[dict[str, Any]]:
    """One row per audience file: channel, whether it is active on `ds`, holdout, destinations, members."""
    settings = get_settings()
    day = parse_iso_date(ds, "date")
    audiences = load_audiences(settings.audiences_dir)
    counts: dict[str, int] = {}
    con = _open_warehouse()
    if con is not None:
        try:
            if table_exists(con, MEMBERS_TABLE):
                counts = dict(
                    con.execute(f"select audience_name, count(*) from {MEMBERS_TABLE} group by 1").fetchall()
                )
        finally:
            con.close()
    return [
        {
            "name": a.name,
            "channel": a.channel,
            "active": a.is_active(day),
            "holdout_share": a.holdout_share,
            "start_date": a.start_date,
            "end_date": a.end_date,
            "owner": a.owner,
            "destinations": [f"{d.type}:{d.name}" for d in a.destinations],
            "members": counts.get(a.name, 0),
        }  # fmt: skip
        for a in audiences
    ]
