"""Keep SQLite fast: planner statistics.

SQLite has no autovacuum/autoanalyze: without statistics its planner picks the status index and
sorts every open ticket instead of walking a due-time index (30 ms instead of 0.2 ms per queue page
at 100k tickets). PostgreSQL's autovacuum keeps its own statistics; nothing to do there.

(WAL checkpoints need no code: SQLite's own automatic checkpoint runs at the mark set in
portal/settings.py, `wal_autocheckpoint`; docs/logistics.md, "Benchmark", has the measurements.)
"""

from django.db import connection


def optimize(full: bool = False) -> str:
    """`ANALYZE` (full) or `PRAGMA optimize` (cheap, daily) on SQLite; a no-op elsewhere."""
    if connection.vendor != "sqlite":
        return "skipped: not SQLite"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if full else "PRAGMA optimize")
    return "analyzed" if full else "optimized"
