"""django-q2 entry points of the training app, and its schedule."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="training.sweep", func="training.tasks.sweep", minutes=60),
]


def sweep():
    """Overdue assignments (their team leads told) and certifications expiring within 14 days
    (the agent and the leads told once)."""
    from training.services import mark_overdue_assignments, notify_expiring_certifications

    now = timezone.now()
    return {"overdue": mark_overdue_assignments(now=now), "expiring": notify_expiring_certifications(now=now)}
