"""Who else has a ticket open: the ticket page's heartbeat (a small JSON endpoint polled by
static/tickets/ticket.js) kept in Django's cache, shared by every worker process.

Each beat records the user on the ticket for PRESENCE_TTL seconds and answers who else beat within
that time, and how many messages or notes others added since the page's `seen` entry."""

import time

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View

from portal.inputs import whole_number
from portal.permissions import restrict
from tickets.models import Ticket, TimelineEntry
from tickets.views.ticket import THREAD_KINDS, display_name

PRESENCE_TTL = 45  # seconds; the page beats every 15


def _key(ticket_id):
    return f"tickets:presence:{ticket_id}"


def beat(ticket_id, user, *, now: float) -> list[str]:
    """Record `user` on the ticket at `now` (epoch seconds); the names of the others seen since
    PRESENCE_TTL seconds, sorted."""
    seen = {uid: (name, at) for uid, (name, at) in (cache.get(_key(ticket_id)) or {}).items()
            if now - at < PRESENCE_TTL}
    seen[user.pk] = (display_name(user), now)
    cache.set(_key(ticket_id), seen, PRESENCE_TTL)
    return sorted(name for uid, (name, _at) in seen.items() if uid != user.pk)


def leave(ticket_id, user) -> None:
    seen = cache.get(_key(ticket_id)) or {}
    if seen.pop(user.pk, None) is not None:
        cache.set(_key(ticket_id), seen, PRESENCE_TTL)


class TicketPresenceView(LoginRequiredMixin, View):
    """`POST /tickets/<pk>/presence/` (`seen`: the page's latest entry id; `leave=1` when the page
    closes): `{"others": [names], "new": n}`. Outside scope: 404."""

    def post(self, request, pk):
        ticket = get_object_or_404(restrict(Ticket.objects.all(), request.user, "view").only("pk"), pk=pk)
        if request.POST.get("leave"):
            leave(ticket.pk, request.user)
            return JsonResponse({"others": [], "new": 0})
        others = beat(ticket.pk, request.user, now=time.time())
        raw = request.POST.get("seen", "")
        new = 0
        if (seen := whole_number(raw)) is not None:
            new = (TimelineEntry.objects.filter(ticket_id=ticket.pk, pk__gt=seen, kind__in=THREAD_KINDS)
                   .exclude(actor=request.user).count())
        return JsonResponse({"others": others, "new": new})
