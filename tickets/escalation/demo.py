"""The demo escalation ladder (also used by the benchmark and the tests).

Warning to the assignee 30 minutes before the resolution due time (in working hours only); at the
breach the team lead; +2 h the manager; +8 h the director; +24 h, major complaints only, the
chairman by SMS.
"""

from django.db import transaction
from django.utils.translation import gettext_noop

from portal.models import Notification
from tickets.escalation.ladders import publish_policy
from tickets.models import Clock, EscalationLevel, EscalationPolicy, RecipientRole

IN_APP, EMAIL, SMS = Notification.Channel.IN_APP, Notification.Channel.EMAIL, Notification.Channel.SMS

# (position, name, offset minutes, recipient roles, channels, major only, business hours only)
STANDARD_LEVELS = [
    (1, gettext_noop("Warning"), -30, [RecipientRole.ASSIGNEE], [IN_APP], False, True),
    (2, gettext_noop("Breach: team lead"), 0, [RecipientRole.TEAM_LEAD], [IN_APP, EMAIL], False, False),
    (3, gettext_noop("Manager"), 120, [RecipientRole.MANAGER], [IN_APP, EMAIL], False, False),
    (4, gettext_noop("Director"), 480, [RecipientRole.DIRECTOR], [IN_APP, EMAIL], False, False),
    (5, gettext_noop("Chairman"), 1440, [RecipientRole.EXECUTIVE], [SMS, IN_APP], True, False),
]
STANDARD_NAME = "标准升级 Standard ladder"


def make_standard_policy(*, now, name=STANDARD_NAME, **attach) -> EscalationPolicy:
    """Create (or keep) the standard ladder policy and publish it. `attach`: queue= or sla_policy=."""
    with transaction.atomic():
        policy, created = EscalationPolicy.objects.get_or_create(
            name=name,
            defaults={
                "description": "Warning 30 min before the resolution due time; lead at breach; manager +2 h; "
                               "director +8 h; chairman by SMS +24 h for major complaints.",
                "updated_at": now,
                **attach,
            },
        )
        if created:
            for position, level_name, offset, roles, channels, major_only, gated in STANDARD_LEVELS:
                EscalationLevel.objects.create(
                    policy=policy, position=position, name=level_name, clock=Clock.RESOLUTION,
                    offset_minutes=offset, recipient_roles=[str(r) for r in roles],
                    channels=[str(c) for c in channels], major_only=major_only, business_hours_only=gated,
                )
        publish_policy(policy, now=now)
    return policy


def load_escalation_demo(*, now):
    """The demo ladder, applying to every ticket (idempotent)."""
    return make_standard_policy(now=now)
