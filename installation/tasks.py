"""django-q2 entry points of the installation app, and its schedule.

The schedule keeps the name it had when installation lived in the logistics app
(`logistics.scan_installations`): `sync_schedules()` finds the existing row by that name and only
points it at the new function."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="logistics.scan_installations", func="installation.tasks.scan_installations", minutes=10),
]


def scan_installations():
    from installation.services import scan_installations as scan

    return scan(now=timezone.now())
