"""django-q2 entry points of the scores app, and its schedule."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    # Daily: yesterday's snapshot (the last full day), then the badges.
    ScheduleSpec(name="scores.compute_scores", func="scores.tasks.compute_scores", minutes=24 * 60),
]


def compute_scores():
    from scores.services import compute_scores as compute
    from scores.services import last_full_day

    now = timezone.now()
    return compute(last_full_day(now), now=now)
