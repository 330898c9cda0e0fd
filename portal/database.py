"""Keep SQLite fast: planner statistics.

SQLite has no autovacuum/autoanalyze: without statistics its planner picks the status index and
sorts every open ticket instead of walking a due-time index (30 ms instead of 0.2 ms per queue page
at 100k tickets). PostgreSQL's autovacuum keeps its own statistics; nothing to do there.

(WAL checkpoints need no code: SQLite's own automatic checkpoint runs at the mark set in
portal/settings.py, `wal_autocheckpoint`; docs/logistics.md, "Benchmark", has the measurements.)
"""

from django.db import connection, transaction


def optimize(full: bool = False) -> str:
    """`ANALYZE` (full) or `PRAGMA optimize` (cheap, daily) on SQLite; a no-op elsewhere.

    Inside a transaction, i.e. after `BEGIN IMMEDIATE` (portal/settings.py): `PRAGMA optimize`
    first reads (row counts) and only then runs `ANALYZE`, which writes. In autocommit that write
    upgrades the statement's read snapshot, and SQLite answers "database is locked" at once,
    without the busy timeout, whenever another connection wrote meanwhile (the web server and the
    sweeps do, all day). Taking the write lock at BEGIN queues on the busy timeout instead."""
    if connection.vendor != "sqlite":
        return "skipped: not SQLite"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE" if full else "PRAGMA optimize")
    return "analyzed" if full else "optimized"
