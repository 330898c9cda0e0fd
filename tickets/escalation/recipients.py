"""Who an escalation reaches, and telling them: recipients resolved from the org chart (loaded
once per sweep), one notification per recipient and channel per sweep listing what reached them,
the deliveries recording which notifications carried which escalations, and reading them back."""

from __future__ import annotations

import functools
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.models import Membership, Notification, Team
from portal.notifications import queue_notifications
from portal.roles import Role
from tickets.escalation.ladders import level_label
from tickets.escalation.sql import JSONGroupArray
from tickets.models import Escalation, EscalationDelivery, LadderLevel, Queue, RecipientRole, Ticket
from tickets.models.escalation import delivery_key

# How many tickets one notification lists before pointing to the escalations page for the rest.
MAX_LISTED = 20


class OrgChart:
    """Teams, parents and active members by role, loaded once (two queries)."""

    ROLE_OF = {
        RecipientRole.TEAM_LEAD: Role.TEAM_LEAD, RecipientRole.MANAGER: Role.MANAGER,
        RecipientRole.DIRECTOR: Role.DIRECTOR, RecipientRole.EXECUTIVE: Role.EXECUTIVE,
    }

    def __init__(self):
        self.parent = dict(Team.objects.values_list("id", "parent_id"))
        self.members: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.executives: list[int] = []
        rows = Membership.objects.filter(user__is_active=True).order_by("user_id").values_list(
            "team_id", "role", "user_id"
        )
        for team_id, role, user_id in rows:
            self.members[team_id][role].append(user_id)
            if role == Role.EXECUTIVE and user_id not in self.executives:
                self.executives.append(user_id)

    def chain(self, team_id) -> list[int]:
        """The team and the teams above it, nearest first."""
        chain, seen = [], set()
        while team_id is not None and team_id not in seen:
            chain.append(team_id)
            seen.add(team_id)
            team_id = self.parent.get(team_id)
        return chain

    def nearest(self, team_id, role) -> list[int]:
        for team in self.chain(team_id):
            found = self.members.get(team, {}).get(role)
            if found:
                return list(found)
        return []

    # Who stands in when nobody holds a role up the chart: the next role up (an unassigned ticket's
    # "assignee" is its team lead), so a level never reaches nobody while someone is above.
    FALLBACK = {
        RecipientRole.ASSIGNEE: RecipientRole.TEAM_LEAD, RecipientRole.TEAM_LEAD: RecipientRole.MANAGER,
        RecipientRole.MANAGER: RecipientRole.DIRECTOR, RecipientRole.DIRECTOR: RecipientRole.EXECUTIVE,
    }

    def holders(self, role, team_id, assignee_id) -> list[int]:
        while role is not None:
            if role == RecipientRole.ASSIGNEE:
                found = [assignee_id] if assignee_id else []
            else:
                found = self.nearest(team_id, self.ROLE_OF[role])
                if not found and role == RecipientRole.EXECUTIVE:
                    found = list(self.executives)
            if found:
                return found
            role = self.FALLBACK.get(role)
        return []

    def recipients(self, level: LadderLevel, team_id, assignee_id, active_named) -> list[int]:
        users: list[int] = []
        for role in level.recipient_roles:
            users += self.holders(role, team_id, assignee_id)
        users += [u.pk for u in level.users.all() if u.pk in active_named]
        return list(dict.fromkeys(users))


def _link(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


@functools.cache
def _ticket_url_pattern() -> str:
    return (_link("tickets:ticket", 987654321) or "/tickets/987654321/").replace("987654321", "{}")


def ticket_url(ticket_id) -> str:
    return _ticket_url_pattern().format(ticket_id)


LEVEL_PARAMS = ("position", "name", "clock", "offset_minutes", "target_percent")


def _message(items, total, levels_by_id, sweep_id, channel) -> tuple[dict, str]:
    """The parameters (for `escalation_digest_text`) and link of one recipient's notification
    for a sweep. `items` are up to MAX_LISTED (ticket, level id, subject) of each group that
    reached the recipient, `total` the number of escalations in those groups."""
    items = sorted(items, key=lambda item: (-levels_by_id[item[1]].position, item[0]))
    used = {level_id for _ticket, level_id, _subject in items}
    params = {
        "items": [list(item) for item in items], "total": total, "sweep": str(sweep_id), "channel": channel,
        "levels": {str(level_id): {name: getattr(levels_by_id[level_id], name) for name in LEVEL_PARAMS}
                   for level_id in used},
    }
    # The sweep's worklist, which every recipient may open (the chairman cannot open a ticket page);
    # from there, acknowledge and comment in place or open the ticket. Signing in comes first.
    link = _link("tickets:escalation_list", query=f"?sweep={sweep_id}") or ticket_url(items[0][0])
    return params, link


def escalation_digest_text(params) -> tuple[str, list]:
    """Subject and lines of an escalation notification, highest level first, in the active language."""
    levels = {int(key): LadderLevel(**value) for key, value in params["levels"].items()}
    items = [(ticket_id, levels[level_id], subject) for ticket_id, level_id, subject in params["items"]]
    total = params["total"]
    tickets = list(dict.fromkeys(ticket_id for ticket_id, _level, _subject in items))
    if total == 1:
        ticket_id, level, _subject = items[0]
        subject = _("Escalation: ticket #%(id)s, level %(position)s %(name)s") % {
            "id": ticket_id, "position": level.position, "name": level.display_name,
        }
    elif total == len(items):
        subject = ngettext(
            "Escalation: %(count)s ticket needs attention", "Escalation: %(count)s tickets need attention",
            len(tickets),
        ) % {"count": len(tickets)}
    else:
        subject = _("Escalation: %(count)s escalations need attention") % {"count": total}
    listed = MAX_LISTED if params["channel"] != Notification.Channel.SMS else 5
    lines = []
    for ticket_id, level, subject_text in items[:listed]:
        line = f"#{ticket_id} · {level_label(level)}"
        if subject_text:
            line += f" · {subject_text}"
        lines.append((line, ticket_url(ticket_id)))
    if total > listed:
        page = _link("tickets:escalation_list", query=f"?sweep={params['sweep']}")
        lines.append((_("… and %(count)s more") % {"count": total - listed}, page))
    return subject, lines


def notify(sweep, levels_by_id, now) -> tuple[dict[int, int], int]:
    """Deliveries and one notification per (recipient, channel) for everything this sweep owns.

    A few queries whatever the number of escalations: the (level, queue, assignee) groups with
    their sizes and ticket ids, and the subjects of the first MAX_LISTED tickets of each group
    for the message text.
    Returns (escalations per level id, notifications queued).
    """
    groups_of_sweep = (
        Escalation.objects.filter(sweep=sweep)
        .values_list("level_id", "queue_id", "assignee_id")
        .annotate(size=Count("id"), tickets=JSONGroupArray("ticket_id"))
        .order_by()
    )
    chart = OrgChart()
    team_of = dict(Queue.objects.values_list("id", "team_id"))
    named = {u.pk for level in levels_by_id.values() for u in level.users.all()}
    active_named = set(get_user_model().objects.filter(pk__in=named, is_active=True).values_list("pk", flat=True))
    counts: dict[int, int] = defaultdict(int)
    groups: dict[tuple, list[int]] = {}  # (level, queue, assignee) -> recipients
    inbox: dict[tuple, list] = defaultdict(list)  # (user, channel) -> [(ticket, level, subject)]
    totals: dict[tuple, int] = defaultdict(int)  # (user, channel) -> escalations
    listed: list[tuple] = []
    for level_id, queue_id, assignee_id, size, ticket_ids in groups_of_sweep:
        counts[level_id] += size
        level = levels_by_id[level_id]
        key = (level_id, queue_id or 0, assignee_id or 0)
        groups[key] = chart.recipients(level, team_of.get(queue_id), assignee_id, active_named)
        for user_id in groups[key]:
            for channel in level.channels:
                totals[(user_id, channel)] += size
        listed += [(key, ticket_id) for ticket_id in sorted(ticket_ids)[:MAX_LISTED]]
    subjects = dict(Ticket.objects.filter(pk__in={ticket_id for _key, ticket_id in listed})
                    .values_list("pk", "subject"))
    for key, ticket_id in listed:
        for user_id in groups[key]:
            for channel in levels_by_id[key[0]].channels:
                inbox[(user_id, channel)].append((ticket_id, key[0], subjects.get(ticket_id, "")))
    messages = []
    for (user_id, channel), total in totals.items():
        params, link = _message(inbox[(user_id, channel)], total, levels_by_id, sweep.uuid, channel)
        messages.append({
            "recipient_id": user_id, "channel": channel, "message_key": "tickets.escalation_digest",
            "params": params, "link": link,
            "source": f"escalation-sweep:{sweep.uuid}",
        })
    notifications = queue_notifications(messages, now=now)
    by_key = {(n.recipient_id, n.channel): n.pk for n in notifications}
    deliveries = EscalationDelivery.objects.bulk_create(
        EscalationDelivery(sweep=sweep, level_id=level_id, queue_key=queue, assignee_key=assignee)
        for level_id, queue, assignee in groups
    )
    through = EscalationDelivery.notifications.through
    through.objects.bulk_create(
        through(escalationdelivery_id=delivery.pk, notification_id=by_key[(user_id, channel)])
        for delivery, key in zip(deliveries, groups, strict=True)
        for user_id in groups[key]
        for channel in levels_by_id[key[0]].channels
    )
    return counts, len(notifications)


def attach_deliveries(escalations) -> list[Escalation]:
    """Set `escalation.notified` to [(notification), ...] (recipient, channel, status) for each
    escalation, in three queries whatever their number."""
    escalations = list(escalations)
    sweeps = {e.sweep_id for e in escalations}
    deliveries = (
        EscalationDelivery.objects.filter(sweep_id__in=sweeps, level_id__in={e.level_id for e in escalations})
        .prefetch_related("notifications", "notifications__recipient")
    )
    by_key = {d.key(): d for d in deliveries}
    for escalation in escalations:
        delivery = by_key.get(delivery_key(escalation))
        escalation.notified = (
            sorted(delivery.notifications.all(), key=lambda n: (n.recipient_id, n.channel)) if delivery else []
        )
    return escalations
