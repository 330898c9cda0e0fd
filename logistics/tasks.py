"""django-q2 entry points of the logistics app, and its schedule."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="logistics.scan_logistics", func="logistics.tasks.scan_logistics", minutes=10),
]


def scan_logistics():
    from logistics.alerts import scan_logistics as scan

    return scan(now=timezone.now())


def run_import(import_id):
    """A qcluster worker runs one task at a time, so the import may relax the process's garbage
    collector for its duration (portal/memory.py: 18 % of an import's CPU time)."""
    from logistics.imports import run_import as run
    from portal.memory import relaxed_gc

    with relaxed_gc():
        return run(import_id, now=timezone.now(), clock=timezone.now).status

