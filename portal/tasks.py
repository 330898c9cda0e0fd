"""django-q2 entry points of the portal app, and its schedules."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="portal.dispatch_notifications", func="portal.tasks.dispatch_notifications", minutes=1),
    ScheduleSpec(name="portal.optimize_database", func="portal.tasks.optimize_database", minutes=24 * 60),
    ScheduleSpec(name="portal.backup", func="portal.tasks.backup", minutes=24 * 60),
    ScheduleSpec(name="portal.dispatch_outbound", func="portal.tasks.dispatch_outbound", minutes=1),
]


def dispatch_notifications():
    from portal.notifications import dispatch_notifications as dispatch

    return dispatch(now=timezone.now())


def optimize_database():
    from portal.database import optimize

    return optimize()


def backup():
    """Daily backup of the embedded default (keeps the newest BACKUP_KEEP); PostgreSQL: pg_dump's job."""
    from portal.backup import BackupNotSupported
    from portal.backup import backup as run_backup

    try:
        return str(run_backup(now=timezone.now()))
    except BackupNotSupported:
        return "skipped: not SQLite (use pg_dump)"


def dispatch_outbound():
    from portal.outbound import dispatch_outbound as dispatch

    return dispatch(now=timezone.now())
