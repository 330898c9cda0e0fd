"""Keep SQLite fast: planner statistics, and a checkpoint after bulk writes.

Statistics: SQLite has no autovacuum/autoanalyze: without statistics its planner picks the status
index and sorts every open ticket instead of walking a due-time index (30 ms instead of 0.2 ms per
queue page at 100k tickets). PostgreSQL's autovacuum keeps its own statistics; nothing to do there.

Checkpoints: in WAL mode a commit appends the changed pages to the `-wal` file; a checkpoint
copies them back into the database file. SQLite's own automatic checkpoint runs inside whichever
commit pushes the WAL past `wal_autocheckpoint` pages, so with SQLite's default (1,000 pages) a
request that happens to cross the line pays for everyone's writes. The settings raise that mark
(`wal_autocheckpoint` in portal/settings.py); the bulk writers, the tracking-event ingest (report
import, events API), fold the log themselves after a committed batch with `checkpoint_wal()`, so
the writes that grow the log pay for folding it, and other requests rarely meet the automatic
checkpoint.
"""

import os

from django.db import connection as default_connection

# A bulk writer folds the WAL once it has grown past this (the automatic mark is 128 MB).
CHECKPOINT_WAL_BYTES = 32 << 20


def optimize(full: bool = False) -> str:
    """`ANALYZE` (full) or `PRAGMA optimize` (cheap, daily) on SQLite; a no-op elsewhere."""
    if default_connection.vendor != "sqlite":
        return "skipped: not SQLite"
    with default_connection.cursor() as cursor:
        cursor.execute("ANALYZE" if full else "PRAGMA optimize")
    return "analyzed" if full else "optimized"


def checkpoint_wal(connection=default_connection, *, min_bytes: int = CHECKPOINT_WAL_BYTES) -> bool:
    """After a bulk write has committed: copy SQLite's write-ahead log back into the database file
    once the log has grown past `min_bytes`. Returns whether a checkpoint ran.

    PASSIVE: it never waits for readers or writers; it copies what no reader still needs and the
    log starts over from the beginning once it is fully copied. Nothing to do on other databases,
    for an in-memory database, or inside a transaction (SQLite refuses a checkpoint there: the
    caller's outermost transaction has not committed yet)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block or connection.is_in_memory_db():
        return False
    try:
        if os.path.getsize(f"{connection.settings_dict['NAME']}-wal") < min_bytes:
            return False
    except FileNotFoundError:
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return True
