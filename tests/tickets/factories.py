"""Helpers for the tickets tests: calendars, queues, policies, a small org with a ticket queue."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from portal.models import Team
from portal.roles import Role
from tests.factories import make_store, make_team, make_user
from tickets import services
from tickets.models import BusinessCalendar, CalendarInterval, Queue, SLAPolicy, SLATarget, Ticket

SH = ZoneInfo("Asia/Shanghai")

# Targets (first response, resolution) in business minutes per priority.
TARGETS = {"low": (240, 1440), "normal": (60, 480), "high": (30, 240), "urgent": (15, 120)}


def sh(*args):
    return datetime(*args, tzinfo=SH)


def make_calendar(name="Office", *, always_open=False, hours=((9, 0, 12, 0), (13, 30, 18, 0)), weekdays=range(5),
                  tz="Asia/Shanghai"):
    calendar = BusinessCalendar.objects.create(name=name, time_zone=tz, always_open=always_open)
    if not always_open:
        for weekday in weekdays:
            for h1, m1, h2, m2 in hours:
                CalendarInterval.objects.create(calendar=calendar, weekday=weekday, start=time(h1, m1), end=time(h2, m2))
    return calendar


def make_policy(name="Default", *, calendar, targets=None, is_default=False, **match):
    policy = SLAPolicy.objects.create(name=name, calendar=calendar, is_default=is_default, **match)
    for priority, (first, resolution) in (targets or TARGETS).items():
        SLATarget.objects.create(policy=policy, priority=priority, first_response_minutes=first,
                                 resolution_minutes=resolution)
    return policy


def make_queue(team, name=None, is_default=True):
    return Queue.objects.create(name=name or f"{team.name} queue", team=team, is_default=is_default)


class World:
    """One store, a customer-service team with a queue, an office-hours default policy, people."""

    def __init__(self):
        self.store = make_store("clouddry", name="CloudDry 旗舰店")
        self.other_store = make_store("swiftride", name="SwiftRide")
        self.team = make_team("CS A", stores=[self.store])
        self.other_team = make_team("CS B", stores=[self.other_store])
        self.refund_team = make_team("Refund desk", kind=Team.Kind.REFUND_DESK, stores=[self.store, self.other_store])
        self.queue = make_queue(self.team)
        self.other_queue = make_queue(self.other_team)
        self.refund_queue = make_queue(self.refund_team)
        self.calendar = make_calendar()
        self.policy = make_policy(calendar=self.calendar, is_default=True)
        self.agent = make_user("agent_a", role=Role.AGENT, team=self.team)
        self.agent2 = make_user("agent_a2", role=Role.AGENT, team=self.team)
        self.lead = make_user("lead_a", role=Role.TEAM_LEAD, team=self.team)
        self.other_agent = make_user("agent_b", role=Role.AGENT, team=self.other_team)
        self.refund = make_user("refunder", role=Role.REFUND_SPECIALIST, team=self.refund_team)

    def ticket(self, *, now=None, actor=None, **fields) -> Ticket:
        fields.setdefault("store", self.store)
        fields.setdefault("queue", self.queue)
        fields.setdefault("buyer_nick", "小明")
        fields.setdefault("order_no", "T1001")
        if actor is None:
            # Someone of the queue's own team opens it (the opener keeps read access to it).
            actor = {self.other_queue.pk: self.other_agent, self.refund_queue.pk: self.refund}.get(
                getattr(fields["queue"], "pk", fields["queue"]), self.agent)
        return services.create_ticket(actor=actor, now=now or sh(2026, 3, 2, 10, 0), **fields)
