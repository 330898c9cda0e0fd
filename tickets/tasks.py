"""django-q2 entry points of the tickets app, and its schedules."""

from django.utils import timezone

from portal.schedules import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(name="tickets.escalate", func="tickets.tasks.escalate", minutes=1),
]


def escalate():
    """The escalation sweep (tickets/escalation/sweep.py), every minute."""
    from tickets.escalation.sweep import escalate_due_tickets

    return escalate_due_tickets(now=timezone.now()).summary()
