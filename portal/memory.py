"""Garbage-collector settings for bulk work.

A million-event import allocates tens of millions of short-lived objects (rows, events, parcels)
without reference cycles. With Python's default thresholds the cyclic collector runs every 700
allocations and, as batches survive into the older generations, repeatedly walks everything the
process holds: 14 % of an import's time. `bulk_allocations()` collects far less often for the
duration; reference counting still frees the objects as soon as a batch is done, and the
previous thresholds come back when the last concurrent user leaves.
"""

import gc
import threading
from contextlib import contextmanager

BULK_THRESHOLDS = (50_000, 20, 100)

_lock = threading.Lock()
_users = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def bulk_allocations():
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*BULK_THRESHOLDS)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
