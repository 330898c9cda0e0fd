"""Keep SQLite fast: planner statistics, and WAL checkpoints off the request path.

Statistics: SQLite has no autovacuum/autoanalyze: without statistics its planner picks the status
index and sorts every open ticket instead of walking a due-time index (30 ms instead of 0.2 ms per
queue page at 100k tickets). PostgreSQL's autovacuum keeps its own statistics; nothing to do there.

Checkpoints: in WAL mode a commit appends the changed pages to the `-wal` file; a checkpoint
copies them back into the database file and fsyncs both. By default the committing connection
does that itself whenever the WAL passes 1,000 pages, so a request that happens to cross the line
pays for everyone's writes (a third of the time of a 1,000-event ingest). As the SQLite
documentation suggests ("run checkpoints ... in a separate thread"), every process that opens the
database starts one background thread with its own connection that runs a PASSIVE checkpoint
(never blocks readers or writers) once the WAL passes `CHECKPOINT_WAL_BYTES`. The connections'
own automatic checkpoint stays on at a higher mark (`wal_autocheckpoint` in settings) as a
safety net should the thread fall behind.
"""

import logging
import os
import sqlite3
import threading
import time

from django.db import connection

log = logging.getLogger(__name__)

CHECKPOINT_WAL_BYTES = 32 << 20
CHECKPOINT_POLL_SECONDS = 0.05

_checkpointers: set[tuple[int, str]] = set()  # (process, database file)
_checkpointers_lock = threading.Lock()


def optimize(full: bool = False) -> str:
    """`ANALYZE` (full) or `PRAGMA optimize` (cheap, daily) on SQLite; a no-op elsewhere."""
    if connection.vendor != "sqlite":
        return "skipped: not SQLite"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if full else "PRAGMA optimize")
    return "analyzed" if full else "optimized"


def _checkpoint_loop(path: str):
    db = None
    wal = f"{path}-wal"
    while True:
        time.sleep(CHECKPOINT_POLL_SECONDS)
        try:
            if os.path.getsize(wal) < CHECKPOINT_WAL_BYTES:
                continue
            if db is None:
                db = sqlite3.connect(path, timeout=20, isolation_level=None)
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except FileNotFoundError:
            continue
        except sqlite3.Error:
            # Busy for longer than the timeout: the next round (or the writers' own automatic
            # checkpoint) catches up.
            log.warning("Background WAL checkpoint of %s failed", path, exc_info=True)


def start_checkpointer(sender=None, connection=None, **kwargs):
    """`connection_created` receiver: one background checkpoint thread per process and SQLite file."""
    if connection is None or connection.vendor != "sqlite":
        return
    path = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() or not os.path.isabs(path):
        return
    key = (os.getpid(), path)  # a forked worker starts its own: threads do not survive fork()
    with _checkpointers_lock:
        if key in _checkpointers:
            return
        _checkpointers.add(key)
        threading.Thread(target=_checkpoint_loop, args=(path,), name="sqlite-checkpoint", daemon=True).start()
