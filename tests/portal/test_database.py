"""SQLite housekeeping without machinery: SQLite's own WAL checkpoint at the configured mark (no
background thread), and the import's relaxed garbage collector scoped to a block."""

import gc
import threading

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from portal.memory import BULK_THRESHOLDS, relaxed_gc


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's settings")
def test_a_sqlite_connection_checkpoints_by_itself_past_128_mb_and_starts_no_thread(tmp_path, django_db_blocker):
    """The portal's SQLite options on a database file: WAL, the automatic checkpoint at 32,000
    pages (not SQLite's 1,000), and nothing running beside the connection."""
    handler = ConnectionHandler({"default": {
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "portal.sqlite3"),
        "OPTIONS": connection.settings_dict["OPTIONS"],
    }})
    threads = set(threading.enumerate())
    with django_db_blocker.unblock():
        sqlite = handler["default"]
        try:
            with sqlite.cursor() as cursor:
                cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, body TEXT)")
                cursor.executemany("INSERT INTO item (body) VALUES (%s)", [("x" * 200,)] * 2000)
                settings = [cursor.execute(f"PRAGMA {name}").fetchone()[0]
                            for name in ("journal_mode", "wal_autocheckpoint", "journal_size_limit")]
        finally:
            sqlite.close()
    assert settings == ["wal", 32000, 256 << 20]
    assert set(threading.enumerate()) <= threads


def test_relaxed_gc_restores_the_thresholds_after_the_block_and_after_an_error():
    normal = gc.get_threshold()
    assert normal != BULK_THRESHOLDS
    with relaxed_gc():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == normal
    with pytest.raises(ValueError), relaxed_gc():
        raise ValueError("import failed")
    assert gc.get_threshold() == normal
