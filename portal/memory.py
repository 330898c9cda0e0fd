"""Garbage-collector thresholds for a process that does one bulk job and nothing else meanwhile.

A report import allocates millions of short-lived objects (rows, events, parcels) without
reference cycles. With Python's default thresholds the cyclic collector runs every 700 net
allocations and, as each batch survives into the older generations, walks everything the process
holds again and again: measured, 18 % of the CPU time of a 100,000-event import (3.4 s instead of
4.1 s). `relaxed_gc()` collects far less often for its duration; reference counting still frees
each batch as soon as it is done.

The thresholds are process-wide, so this is used only where the process runs nothing else
meanwhile: the import task in a qcluster worker (`logistics.tasks.run_import`) and the
`import_tracking` command, never in a web request. The events API pays for that: about 12 % more
time per 1,000-event request (`bench logistics`, 100 requests, median of three interleaved runs:
7.5 s instead of 6.6 s relaxed), since the collector's full passes walk everything the process
holds.
"""

import gc
from contextlib import contextmanager

BULK_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def relaxed_gc(thresholds=BULK_THRESHOLDS):
    """Collect less often until the block ends, then restore the previous thresholds."""
    saved = gc.get_threshold()
    gc.set_threshold(*thresholds)
    try:
        yield
    finally:
        gc.set_threshold(*saved)
