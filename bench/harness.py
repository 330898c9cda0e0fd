"""What the benchmarks share: a fresh database of their own, timing with query counts, peak memory.

The `bench` command (portal/management/commands/bench.py) runs `bench/<name>.py` inside
`fresh_database()`; tests use `measure` and `peak_memory` directly.
"""

import statistics
import tempfile
import time
import tracemalloc
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections, reset_queries
from django.test.utils import CaptureQueriesContext


@contextmanager
def fresh_database(keep: str | None = None):
    """Point the default connection at a new, migrated, empty database for the duration.

    SQLite: a new file in a temporary folder (or `keep`, a path kept afterwards). PostgreSQL
    (DATABASE_URL): a new database `<name>_bench_<random>` on the same server, dropped afterwards.
    The real database is never touched.
    """
    conn = connections["default"]
    original = dict(conn.settings_dict)
    conn.close()
    vendor = conn.vendor
    scratch_dir = None
    if vendor == "sqlite":
        if keep:
            name = str(Path(keep).resolve())
        else:
            scratch_dir = tempfile.TemporaryDirectory(prefix="portal-bench-")
            name = str(Path(scratch_dir.name) / "bench.sqlite3")
    else:
        name = f"{original['NAME']}_bench_{uuid.uuid4().hex[:8]}"
        # Through the server's maintenance database, as Django's test runner does: DATABASE_URL's own
        # database need not exist (CI's test runs create only test_<name>).
        with conn._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(original)
        if vendor != "sqlite":
            with conn._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if scratch_dir is not None:
            scratch_dir.cleanup()


class Measurement:
    """Wall and CPU times (ms) and query counts of repeated runs. CPU time is this process's own
    (SQLite runs in it): on a machine shared with other work it stays close to what an idle
    machine's wall time would be, where the wall time also counts the waiting for a core."""

    def __init__(self, label):
        self.label = label
        self.times_ms: list[float] = []
        self.cpu_times_ms: list[float] = []
        self.queries: list[int] = []

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def cpu_ms(self) -> float:
        """The median CPU time."""
        return statistics.median(self.cpu_times_ms)

    @property
    def max_queries(self) -> int:
        return max(self.queries)


def measure(label, func, repeat: int = 1) -> Measurement:
    """Run `func` `repeat` times; record wall time, CPU time and SQL query count of each run."""
    result = Measurement(label)
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started, cpu = time.perf_counter(), time.process_time()
            func()
            result.cpu_times_ms.append((time.process_time() - cpu) * 1000)
            result.times_ms.append((time.perf_counter() - started) * 1000)
        result.queries.append(len(captured.captured_queries))
    return result


@contextmanager
def peak_memory():
    """Yields a dict whose "peak_mb" is filled with the Python heap peak (tracemalloc) on exit."""
    figures = {}
    tracemalloc.start()
    try:
        yield figures
    finally:
        figures["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
