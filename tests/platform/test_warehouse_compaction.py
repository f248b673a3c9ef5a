"""Rebuilding the warehouse into a fresh file: every object survives, deleted rows leave no byte behind."""

from __future__ import annotations

import os
import stat

import duckdb
import pytest

from customer_platform.warehouse_compaction import compact_warehouse

ERASED_EMAIL = b"ann.erased@example.com"

SETUP = """
create schema marts; create schema pii; create schema audit;
create sequence marts.ids start 5;
create type marts.mood as enum ('calm', 'busy');
create table pii.contacts (
    id integer primary key default nextval('marts.ids'),
    email varchar unique,
    mood marts.mood,
    visits integer check (visits >= 0) not null
);
comment on table pii.contacts is 'raw contacts';
comment on column pii.contacts.email is 'normalized email';
create index contacts_by_mood on pii.contacts (mood);
insert into pii.contacts (email, mood, visits)
    select 'person' || i || '@example.com', 'calm', i from range(2000) t(i);
insert into pii.contacts (email, mood, visits) values ('ann.erased@example.com', 'busy', 3);
create macro marts.twice(x) as x * 2;
create macro marts.contacts_of(m) as table select * from pii.contacts where mood = m;
create view marts.busy_contacts as select id, marts.twice(visits) as double_visits from pii.contacts where mood = 'busy';
create table audit.erasure_requests (request_id varchar, removed bigint);
"""
INVENTORY = {
    "schemas": "select schema_name from duckdb_schemas() where not internal order by all",
    "tables": "select schema_name, table_name, comment from duckdb_tables() order by all",
    "columns": "select table_name, column_name, data_type, column_default, is_nullable, comment "
    "from duckdb_columns() where not internal order by all",
    "views": "select schema_name, view_name, sql from duckdb_views() where not internal order by all",
    "macros": "select schema_name, function_name, function_type, macro_definition from duckdb_functions() "
    "where not internal and function_type like '%macro' order by all",
    "sequences": "select schema_name, sequence_name, last_value from duckdb_sequences() order by all",
    "types": "select schema_name, type_name from duckdb_types() where schema_name = 'marts' order by all",
    "indexes": "select index_name, sql from duckdb_indexes() order by all",
    "constraints": "select table_name, constraint_type, constraint_text from duckdb_constraints() order by all",
    "rows": "select count(*), sum(visits) from pii.contacts",
    "view_rows": "from marts.busy_contacts order by all",
    "table_macro_rows": "select count(*) from marts.contacts_of('calm')",
}


def _inventory(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in INVENTORY.items()}
    finally:
        con.close()


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SETUP)
    con.execute("select nextval('marts.ids')")  # the sequence has moved on: its value must survive
    con.execute("delete from pii.contacts where email = 'ann.erased@example.com'")
    con.execute("checkpoint")
    con.close()
    os.chmod(path, 0o600)
    return path


def test_deleted_rows_are_gone_from_the_bytes_and_every_object_survives(warehouse):
    assert ERASED_EMAIL in warehouse.read_bytes(), "DuckDB keeps deleted values in the file"
    before = _inventory(warehouse)

    result = compact_warehouse(warehouse)

    assert ERASED_EMAIL not in warehouse.read_bytes()
    assert _inventory(warehouse) == before
    con = duckdb.connect(str(warehouse))
    try:
        # The sequence goes on where it was; constraints are enforced; the new file is writable.
        con.execute("insert into pii.contacts (email, mood, visits) values ('new@example.com', 'calm', 1)")
        assert con.execute("select max(id) from pii.contacts").fetchone()[0] == before["sequences"][0][2] + 1
        with pytest.raises(duckdb.ConstraintException):
            con.execute("insert into pii.contacts (email, mood, visits) values ('x@example.com', 'calm', -1)")
    finally:
        con.close()
    assert stat.S_IMODE(warehouse.stat().st_mode) == 0o600, "the new file keeps the old one's permissions"
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["warehouse.duckdb"], "no temp file, no .wal"
    assert result.bytes_before > 0 and result.bytes_after > 0 and result.seconds > 0


def test_a_wal_is_checkpointed_into_the_copy_not_left_to_replay(warehouse):
    con = duckdb.connect(str(warehouse))
    con.execute("set wal_autocheckpoint = '1GB'")
    con.execute("insert into audit.erasure_requests values ('r1', 1)")
    # Leave a WAL behind as a killed writer would (no checkpoint on close).
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.close()
    assert warehouse.with_name(warehouse.name + ".wal").exists()

    compact_warehouse(warehouse)

    assert not warehouse.with_name(warehouse.name + ".wal").exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("from audit.erasure_requests").fetchall() == [("r1", 1)]


def test_a_failed_rebuild_leaves_the_old_file_as_it_was(warehouse, monkeypatch):
    original = warehouse.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        compact_warehouse(warehouse)

    assert warehouse.read_bytes() == original
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["warehouse.duckdb"]


def test_a_writer_is_refused_while_the_copy_holds_the_file(warehouse, monkeypatch):
    import subprocess
    import sys

    import customer_platform.warehouse_compaction as compaction

    seen = {}
    real_fsync = compaction._fsync

    def fsync_and_try_to_write(path):
        if path.name.endswith(".compacting"):
            code = (
                "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('create table marts.late (a int)')"
            )
            seen["writer"] = subprocess.run(
                [sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True
            )
        real_fsync(path)

    monkeypatch.setattr(compaction, "_fsync", fsync_and_try_to_write)
    compact_warehouse(warehouse)

    assert seen["writer"].returncode != 0 and "lock" in seen["writer"].stderr.lower()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert not con.execute("select * from duckdb_tables() where table_name = 'late'").fetchall()
