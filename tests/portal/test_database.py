"""SQLite housekeeping: WAL checkpoints in a background thread, and relaxed GC for bulk work."""

import gc
import os
import sqlite3
import threading
import time

import pytest

from portal import database
from portal.memory import BULK_THRESHOLDS, bulk_allocations


class FakeConnection:
    vendor = "sqlite"

    def __init__(self, name, in_memory=False):
        self.settings_dict = {"NAME": name}
        self._in_memory = in_memory

    def is_in_memory_db(self):
        return self._in_memory


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
def wal_database(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "CHECKPOINT_WAL_BYTES", 64 * 1024)
    monkeypatch.setattr(database, "_checkpointers", set())
    path = str(tmp_path / "wal.sqlite3")
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the background thread checkpoints
    writer.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, body TEXT)")
    yield path, writer
    writer.close()


def test_background_thread_copies_a_large_wal_into_the_database_file(wal_database):
    path, writer = wal_database
    writer.execute("BEGIN")
    writer.executemany("INSERT INTO item (body) VALUES (?)", [("x" * 200,) for _ in range(2000)])
    writer.execute("COMMIT")
    assert os.path.getsize(f"{path}-wal") > database.CHECKPOINT_WAL_BYTES
    assert _rows_in_main_file(path) == 0  # everything is still only in the WAL

    database.start_checkpointer(connection=FakeConnection(path))

    deadline = time.monotonic() + 10
    while _rows_in_main_file(path) != 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _rows_in_main_file(path) == 2000
    # The writer never waited: it can go on writing, and the WAL starts over after a full checkpoint.
    writer.execute("INSERT INTO item (body) VALUES ('after')")
    assert writer.execute("SELECT count(*) FROM item").fetchone()[0] == 2001


def test_one_thread_per_process_and_file_none_for_memory_databases(wal_database):
    path, _writer = wal_database
    before = threading.active_count()
    database.start_checkpointer(connection=FakeConnection(path))
    database.start_checkpointer(connection=FakeConnection(path))
    database.start_checkpointer(connection=FakeConnection(":memory:", in_memory=True))
    assert threading.active_count() == before + 1
    assert list(database._checkpointers) == [(os.getpid(), path)]


def test_bulk_allocations_relax_the_collector_until_the_last_user_leaves():
    normal = gc.get_threshold()
    assert normal != BULK_THRESHOLDS
    first, second = bulk_allocations(), bulk_allocations()
    first.__enter__()
    assert gc.get_threshold() == BULK_THRESHOLDS
    second.__enter__()  # e.g. a second request in another thread
    first.__exit__(None, None, None)
    assert gc.get_threshold() == BULK_THRESHOLDS  # still in use
    second.__exit__(None, None, None)
    assert gc.get_threshold() == normal


def test_bulk_allocations_restore_the_thresholds_after_an_error():
    normal = gc.get_threshold()
    with pytest.raises(ValueError), bulk_allocations():
        raise ValueError("import failed")
    assert gc.get_threshold() == normal
