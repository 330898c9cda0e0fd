"""Helpers for the escalation tests: an org chart above the World's team, the standard ladder."""

from portal.models import Notification, Profile, Team
from portal.roles import Role
from tests.factories import make_team, make_user
from tests.tickets.factories import World, sh
from tickets.escalation.demo import make_standard_policy
from tickets.escalation.ladders import save_policy
from tickets.models import Escalation, EscalationPolicy

CONFIGURED = sh(2026, 3, 1, 9, 0)
MON_10 = sh(2026, 3, 2, 10, 0)  # a normal ticket opened now is due for resolution Tue 10:30


class Ladder:
    """The World plus a manager, director and chairman above its team, and the standard ladder."""

    def __init__(self):
        self.world = w = World()
        board = make_team("Board", kind=Team.Kind.MANAGEMENT)
        centre = make_team("Service centre", kind=Team.Kind.MANAGEMENT, parent=board)
        self.department = make_team("CS department", kind=Team.Kind.MANAGEMENT, parent=centre)
        for team in (w.team, w.other_team):
            team.parent = self.department
            team.save()
        self.manager = make_user("manager_x", role=Role.MANAGER, team=self.department)
        self.director = make_user("director_x", role=Role.DIRECTOR, team=centre)
        self.chairman = make_user("chairman_x", role=Role.EXECUTIVE, team=board)
        Profile.objects.create(user=self.chairman, phone="13900000006")
        self.policy = make_standard_policy(now=CONFIGURED)

    def __getattr__(self, name):
        return getattr(self.world, name)

    def ticket(self, *, now=MON_10, **fields):
        fields.setdefault("assignee", self.world.agent)
        return self.world.ticket(now=now, **fields)


def custom_policy(name, levels, *, now=CONFIGURED, actor=None, **attach):
    """A policy with the given level dicts (defaults: resolution clock, in-app), published."""
    filled = []
    for position, level in enumerate(levels, start=1):
        filled.append({"position": position, "name": f"L{position}", "clock": "resolution",
                       "channels": ["in_app"], **level})
    policy = EscalationPolicy(name=name, **attach)
    save_policy(policy, filled, actor=actor, now=now)
    return policy


def fired(ticket=None):
    """[(ticket id, level position)] of all escalations (of one ticket), in firing order."""
    queryset = Escalation.objects.order_by("id")
    if ticket is not None:
        queryset = queryset.filter(ticket=ticket)
    return [(e.ticket_id, e.level.position) for e in queryset.select_related("level")]


def positions(ticket):
    return [position for _ticket, position in fired(ticket)]


def inbox(user, channel=Notification.Channel.IN_APP):
    return list(Notification.objects.filter(recipient=user, channel=channel, source__startswith="escalation-sweep:")
                .order_by("id"))
