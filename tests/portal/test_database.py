"""SQLite housekeeping: bulk writers fold the write-ahead log after a committed batch (no background
thread), and the import's relaxed garbage collector is scoped to a block."""

import gc
import sqlite3
import threading

import pytest
from django.db import connections, transaction
from django.db.utils import ConnectionHandler

from portal.database import checkpoint_wal
from portal.memory import BULK_THRESHOLDS, relaxed_gc


def _rows_in_main_file(path):
    """What the database file itself holds, ignoring the WAL (immutable=1 skips it)."""
    db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return db.execute("SELECT count(*) FROM item").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not in the file yet
        return 0
    finally:
        db.close()


@pytest.fixture
def wal_connection(tmp_path, django_db_blocker):
    """A Django connection to a SQLite file in WAL mode whose automatic checkpoint is off, registered
    as the "wal" alias (whatever the test database is)."""
    path = str(tmp_path / "wal.sqlite3")
    handler = ConnectionHandler({"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": path,
        "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"},
    }})
    with django_db_blocker.unblock():
        wal = handler["default"]
        wal.alias = "wal"
        connections["wal"] = wal
        with wal.cursor() as cursor:
            cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, body TEXT)")
        try:
            yield wal, path
        finally:
            wal.close()
            del connections["wal"]


def _write(wal, rows):
    with transaction.atomic(using="wal"), wal.cursor() as cursor:
        cursor.executemany("INSERT INTO item (body) VALUES (%s)", [("x" * 200,) for _ in range(rows)])


def test_a_large_wal_is_folded_into_the_database_file_after_the_batch(wal_connection):
    wal, path = wal_connection
    _write(wal, 2000)
    assert _rows_in_main_file(path) == 0  # committed, but only in the WAL so far

    assert checkpoint_wal(wal, min_bytes=64 * 1024) is True

    assert _rows_in_main_file(path) == 2000
    _write(wal, 1)  # the writer goes on as before
    assert _rows_in_main_file(path) == 2000


def test_a_small_wal_is_left_to_grow(wal_connection):
    wal, path = wal_connection
    _write(wal, 10)
    assert checkpoint_wal(wal, min_bytes=1 << 20) is False
    assert _rows_in_main_file(path) == 0


def test_no_checkpoint_inside_a_transaction(wal_connection):
    """SQLite refuses a checkpoint while the connection holds a write transaction; the batch's
    outermost transaction has to commit first, so the call is skipped (and says so)."""
    wal, path = wal_connection
    _write(wal, 2000)
    with transaction.atomic(using="wal"):
        with wal.cursor() as cursor:
            cursor.execute("INSERT INTO item (body) VALUES ('inside')")
        assert checkpoint_wal(wal, min_bytes=1) is False
    assert _rows_in_main_file(path) == 0
    assert checkpoint_wal(wal, min_bytes=1) is True
    assert _rows_in_main_file(path) == 2001


def test_opening_connections_starts_no_thread(wal_connection):
    wal, _path = wal_connection
    before = {thread.ident for thread in threading.enumerate()}
    wal.close()
    wal.ensure_connection()
    _write(wal, 2000)
    checkpoint_wal(wal, min_bytes=1)
    assert {thread.ident for thread in threading.enumerate()} <= before


def test_relaxed_gc_restores_the_thresholds_after_the_block_and_after_an_error():
    normal = gc.get_threshold()
    assert normal != BULK_THRESHOLDS
    with relaxed_gc():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == normal
    with pytest.raises(ValueError), relaxed_gc():
        raise ValueError("import failed")
    assert gc.get_threshold() == normal
