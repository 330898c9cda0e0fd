"""django-q2 entry points of the refund desk, and its schedule."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="refunds.remind_overdue_refunds", func="refunds.tasks.remind_overdue_refunds", minutes=10),
]


def remind_overdue_refunds():
    from refunds.services import remind_overdue_refunds as remind

    return remind(now=timezone.now())
