"""The ticket page: customer and order, SLA clocks, conversation, timeline and the work forms
the user's verbs allow on it (posted to tickets/views/actions.py).

A ticket outside the user's scope is not found (404), through `restrict(..., "view")`.
"""

from django.db.models import Exists, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from portal import pii, registry
from portal.formatting import person_name
from portal.models import OutboundMessage
from portal.permissions import has_action, is_org_wide, restrict, visible_team_ids
from portal.views import RestrictedViewMixin
from tickets import forms as f
from tickets import services, sla
from tickets.businesstime import is_working
from tickets.models import Queue, Ticket, TimelineEntry

# What the conversation thread shows, in time order: the buyer, the agents, the bot, the notes.
THREAD_KINDS = [TimelineEntry.Kind.CUSTOMER_MESSAGE, TimelineEntry.Kind.REPLY, TimelineEntry.Kind.BOT_MESSAGE,
                TimelineEntry.Kind.NOTE]
CONTEXT_TICKETS = 5


def format_minutes(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours:
        return _("%(sign)s%(h)d h %(m)02d min") % {"sign": sign, "h": hours, "m": rest}
    return _("%(sign)s%(m)d min") % {"sign": sign, "m": rest}


def sla_clocks(ticket, now):
    """What the SLA box shows: per clock its target, due time, business minutes left and state
    (met, late, stopped, paused, breached, running). `ticking`: the calendar is open right now,
    so the page's script may count the minutes down."""
    if ticket.sla_policy_id is None:
        return []
    specs = sla.SpecCache()
    remaining = sla.remaining_minutes(ticket, now=now, specs=specs)
    spec = specs.for_ticket(ticket)
    running = ticket.is_open and ticket.sla_clock_started_at is not None
    ticking = bool(running and spec is not None and is_working(spec, now))
    clocks = []
    for key, label, target, due, done_at, late in (
        ("first_response", _("First response"), ticket.first_response_target, ticket.first_response_due,
         ticket.first_response_at, ticket.first_response_breached),
        ("resolution", _("Resolution"), ticket.resolution_target, ticket.resolution_due, ticket.resolved_at,
         ticket.resolution_breached),
    ):
        if target is None:
            continue
        left = remaining[key]
        if done_at is not None:
            state = "late" if late else "met"
        elif not ticket.is_open:
            state = "stopped"
        elif ticket.is_paused:
            state = "paused"
        elif (left is not None and left < 0) or (due is not None and due < now):
            state = "breached"
        else:
            state = "running"
        clocks.append({
            "key": key, "label": label, "target": target, "target_text": format_minutes(target), "due": due,
            "done_at": done_at, "remaining": left,
            "remaining_text": format_minutes(left) if left is not None else "",
            "state": state, "ticking": ticking and state in ("running", "breached"),
        })
    return clocks


def display_name(user):
    return person_name(user, _("system"))


def field_label(name):
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # a field renamed since the entry was written
        return name


def actor_label(entry):
    if entry.actor_id:
        return display_name(entry.actor)
    if entry.kind == TimelineEntry.Kind.CUSTOMER_MESSAGE:
        return entry.ticket.buyer_nick or _("buyer")
    return _("system")


def describe_entries(entries):
    """A one-line description per timeline entry (queue and status names resolved in one query)."""
    queue_ids = set()
    for entry in entries:
        if entry.kind == TimelineEntry.Kind.TRANSFER:
            queue_ids |= {entry.data.get("from_queue"), entry.data.get("to_queue")}
        elif entry.kind == TimelineEntry.Kind.CREATED:
            queue_ids.add(entry.data.get("queue"))
    queue_ids.discard(None)
    queues = {q.pk: q.name for q in Queue.objects.filter(pk__in=queue_ids)} if queue_ids else {}
    statuses = {value: str(label) for value, label in Ticket.Status.choices}
    kinds = {value: str(label) for value, label in TimelineEntry.Kind.choices}
    Kind = TimelineEntry.Kind
    rows = []
    for entry in entries:
        d = entry.data or {}
        text = kinds.get(entry.kind, entry.kind)
        if entry.kind == Kind.CREATED:
            text = _("Opened via %(channel)s in %(queue)s") % {
                "channel": dict(Ticket.Channel.choices).get(d.get("channel"), d.get("channel", "")),
                "queue": queues.get(d.get("queue"), "?"),
            }
        elif entry.kind == Kind.STATUS:
            text = _("Status: %(from)s → %(to)s") % {
                "from": statuses.get(d.get("from"), d.get("from")), "to": statuses.get(d.get("to"), d.get("to")),
            }
            if d.get("reopened"):
                text += " " + _("(reopened)")
        elif entry.kind == Kind.ASSIGN:
            text = (_("Assigned to %(name)s") % {"name": d.get("to_name")}) if d.get("to") else _("Unassigned")
            if d.get("via") == "round_robin":
                text += " " + _("(round-robin)")
            elif d.get("via") == "take":
                text += " " + _("(took it)")
            elif d.get("via") == "reply":
                text += " " + _("(on their reply)")
        elif entry.kind == Kind.TRANSFER:
            text = _("Transferred from %(from)s to %(to)s") % {
                "from": queues.get(d.get("from_queue"), "?"), "to": queues.get(d.get("to_queue"), "?"),
            }
        elif entry.kind == Kind.FIELD:
            label = field_label(d.get("field"))
            if "from" in d:
                text = _("%(field)s: “%(from)s” → “%(to)s”") % {"field": label, "from": d.get("from"), "to": d.get("to")}
            else:
                text = _("%(field)s changed") % {"field": label}
        elif entry.kind == Kind.MERGE:
            text = (_("Merged into #%(id)s") % {"id": d["into"]}) if d.get("into") else (
                _("Ticket #%(id)s was merged into this one") % {"id": d.get("merged")})
        elif entry.kind == Kind.RATING:
            text = _("Rated %(stars)s") % {"stars": "★" * int(d.get("rating") or 0)}
        elif entry.kind == Kind.LINK and d.get("follow_up"):
            text = _("Follow-up ticket #%(id)s") % {"id": d["follow_up"]}
        elif entry.kind == Kind.REPLY and d.get("automatic"):
            text = _("Automatic reply")
        rows.append({
            "entry": entry, "text": text, "actor": actor_label(entry),
            "at": timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"), "at_iso": entry.at.isoformat(),
            "internal": entry.kind == Kind.NOTE,
            "handling": format_minutes(round(entry.handling_seconds / 60)) if entry.handling_seconds else "",
            "link": d.get("into") or d.get("merged") or d.get("follow_up") or d.get("previous_ticket"),
        })
    return rows


# Form key -> (form class, permission verb, URL name suffix).
ACTION_FORMS = {
    "compose": (f.ComposeForm, "reply"),
    "reply": (f.ReplyForm, "reply"),
    "note": (f.NoteForm, "reply"),
    "assign": (f.AssignForm, "assign"),
    "transfer": (f.TransferForm, "transfer"),
    "status": (f.StatusForm, "resolve"),
    "reopen": (f.ReopenForm, "resolve"),
    "close": (f.CloseForm, "resolve"),
    "merge": (f.MergeForm, "merge"),
    "rate": (f.RateForm, "rate"),
    "edit": (f.TicketEditForm, "change"),
}


# Order on the page, heading, button, and whether the card starts folded.
# The reply and note forms of their own URLs appear only to show their errors: the page's composer
# (ComposeForm) does both.
LEGACY_FORMS = {"reply", "note"}
FORM_LAYOUT = [
    ("reply", gettext_lazy("Reply to the customer"), gettext_lazy("Send reply"), False),
    ("note", gettext_lazy("Internal note"), gettext_lazy("Add note"), False),
    ("status", gettext_lazy("Status"), gettext_lazy("Change status"), False),
    ("assign", gettext_lazy("Assign"), gettext_lazy("Assign"), False),
    ("transfer", gettext_lazy("Transfer"), gettext_lazy("Transfer"), True),
    ("reopen", gettext_lazy("Reopen"), gettext_lazy("Reopen"), False),
    ("close", gettext_lazy("Close"), gettext_lazy("Close for good"), True),
    ("merge", gettext_lazy("Merge into another ticket"), gettext_lazy("Merge"), True),
    ("rate", gettext_lazy("Satisfaction rating"), gettext_lazy("Record rating"), True),
]


def allowed_verbs(user, ticket) -> set[str]:
    """The verbs the user may use on this ticket: `can(user, ticket, verb)` for each verb their
    roles hold, asked in one query (an EXISTS over `restrict(..., verb)` per verb)."""
    verbs = sorted({verb for _form, verb in ACTION_FORMS.values() if has_action(user, Ticket, verb)})
    if not verbs:
        return set()
    checks = {
        f"may_{verb}": Exists(restrict(Ticket.objects.filter(pk=OuterRef("pk")), user, verb)) for verb in verbs
    }
    row = Ticket.objects.filter(pk=ticket.pk).annotate(**checks).values(*checks).first() or {}
    return {verb for verb in verbs if row.get(f"may_{verb}")}


def available_forms(ticket, verbs) -> set[str]:
    """The forms that make sense for the ticket's state and the user's verbs."""
    live = not ticket.merged_into_id
    is_open = ticket.is_open and live
    resolved = ticket.status == Ticket.Status.RESOLVED and live
    wanted = {
        "compose": True,
        "reply": live and ticket.status != Ticket.Status.CLOSED,
        "note": True,
        "assign": is_open,
        "transfer": is_open,
        "status": is_open,
        "reopen": resolved,
        "close": resolved,
        "merge": live and ticket.status != Ticket.Status.CLOSED,
        "rate": live,
        "edit": live,  # a link to its own page
    }
    return {key for key, (_form, verb) in ACTION_FORMS.items() if wanted[key] and verb in verbs}


def build_form(key, ticket, user, data=None, initial=None):
    form_class = ACTION_FORMS[key][0]
    kwargs = {"ticket": ticket, "user": user, "prefix": key, "initial": initial}
    if form_class is f.TicketEditForm:
        kwargs["show_pii"] = pii.may_see(user, ticket)
    if form_class is f.ComposeForm:
        live = not ticket.merged_into_id and ticket.status != Ticket.Status.CLOSED
        kwargs["allow_reply"] = live
    return form_class(data, **kwargs)


def thread_rows(ticket, rows):
    """The whole conversation in time order (buyer, agents, bot, internal notes) from the timeline
    rows, each reply with its delivery to the buyer (queued, sent, failed; one query)."""
    Kind = TimelineEntry.Kind
    items = [row for row in rows if row["entry"].kind in THREAD_KINDS and row["entry"].body]
    if not any(row["entry"].kind == Kind.CUSTOMER_MESSAGE for row in items):
        # A ticket opened by phone or by hand: the description is what the customer said.
        opening = [row for row in rows if row["entry"].kind == Kind.CREATED and row["entry"].body]
        items = opening[:1] + items
    # The delivery state belongs to the reply on a ticket the reader may see: read through the
    # ticket (its replies' sources), not through the outbound feed's own scope (integrations, managers).
    sources = {services.reply_source(row["entry"]): row for row in items
               if row["entry"].kind == Kind.REPLY and (row["entry"].data or {}).get("source") != "chat"}
    if sources:
        for message in OutboundMessage.objects.filter(source__in=list(sources)).only(
                "id", "source", "status", "attempts", "last_error", "sent_at"):
            sources[message.source]["delivery"] = message
    thread = []
    for row in items:
        entry = row["entry"]
        side = {Kind.CUSTOMER_MESSAGE: "buyer", Kind.CREATED: "buyer", Kind.BOT_MESSAGE: "bot",
                Kind.NOTE: "note"}.get(entry.kind, "agent")
        thread.append({**row, "side": side})
    return thread


def customer_tickets(user, ticket):
    """The buyer's other tickets (same store, same buyer nick or order), in the user's scope."""
    match = Q()
    if ticket.buyer_nick:
        match |= Q(buyer_nick=ticket.buyer_nick)
    if ticket.order_no:
        match |= Q(order_no=ticket.order_no)
    if not match:
        return []
    queryset = Ticket.objects.filter(match, store_id=ticket.store_id).exclude(pk=ticket.pk)
    return list(restrict(queryset, user, "view").order_by("-created_at")
                .values("pk", "subject", "status", "created_at")[:CONTEXT_TICKETS])


def works_here(user, ticket) -> bool:
    """The ticket is in the user's own scope (team or assignee), not only readable as a past participant."""
    return is_org_wide(user) or ticket.assignee_id == user.pk or ticket.queue.team_id in visible_team_ids(user)


def ticket_context(request, ticket, *, bound=None, conflict=None):
    user = request.user
    now = timezone.now()
    verbs = allowed_verbs(user, ticket)
    shown = available_forms(ticket, verbs)
    forms = {}
    action_forms = []
    for key, heading, button, folded in FORM_LAYOUT:
        if key not in shown or (key in LEGACY_FORMS and not (bound and bound[0] == key)):
            continue
        form = bound[1] if bound and bound[0] == key else build_form(key, ticket, user)
        forms[key] = form
        action_forms.append({
            "key": key, "form": form, "heading": heading, "button": button,
            "url": reverse(f"tickets:ticket_{key}", args=[ticket.pk]),
            "folded": folded and not (bound and bound[0] == key),
        })
    entries = list(ticket.timeline.select_related("actor").order_by("at", "id"))
    latest = entries[-1].pk if entries else 0
    composer = None
    if "compose" in shown:
        if bound and bound[0] == "compose":
            composer = bound[1]
        else:
            composer = build_form("compose", ticket, user, initial={"seen": latest})
    macros = []
    if composer and composer.macros:
        known = registry.macro_values(ticket)  # once for all the macros (e.g. the order's waybill)
        macros = [(m.pk, m.render(ticket, user, extra=known)) for m in composer.macros]
    # Follow-ups and merged duplicates: a UNION ALL, not an OR, so each side uses its index
    # (with planner statistics SQLite scans the whole table for the OR of two nullable columns).
    # Only the id is selected, so each side is answered from its (covering) index alone.
    related = list(
        Ticket.objects.filter(previous_ticket=ticket).order_by().annotate(rel=Value("follow_up"))
        .values_list("pk", "rel")
        .union(Ticket.objects.filter(merged_into=ticket).order_by().annotate(rel=Value("merged"))
               .values_list("pk", "rel"), all=True)
    )
    timeline = describe_entries(entries)
    participants = list(ticket.participants.select_related("user").order_by("first_at", "id"))
    statuses = dict(Ticket.Status.choices)
    return {
        "ticket": ticket,
        "title": str(ticket),
        "now": now,
        "may_see_pii": pii.may_see(user, ticket),
        "clocks": sla_clocks(ticket, now),
        "rating_stars": "★" * (ticket.rating or 0),
        "thread": thread_rows(ticket, timeline),
        "timeline": timeline,
        "forms": forms,
        "action_forms": action_forms,
        "composer": composer,
        "composer_url": reverse("tickets:ticket_compose", args=[ticket.pk]),
        "conflict": conflict or [],
        "latest_entry": latest,
        "macro_texts": dict(macros),
        "presence_labels": {"others": _("Also open by:"),
                            "new": _("%(n)s new message(s) since you opened the page: reload to read them")},
        "verbs": verbs,
        "can_edit": "edit" in shown,
        "can_take": ticket.is_open and not ticket.merged_into_id and "reply" in verbs and ticket.assignee_id != user.pk,
        "works_here": works_here(user, ticket),
        "participants": [{"name": display_name(p.user), "how": p.get_how_display()} for p in participants],
        "customer_tickets": [{**row, "status_label": statuses.get(row["status"], row["status"])}
                             for row in customer_tickets(user, ticket)],
        "follow_ups": sorted(pk for pk, rel in related if rel == "follow_up"),
        "merged_tickets": sorted(pk for pk, rel in related if rel == "merged"),
    }


def ticket_queryset(user):
    return restrict(Ticket.objects.with_related(), user, "view")


class TicketDetailView(RestrictedViewMixin, DetailView):
    """The ticket page: customer and order, SLA clocks, conversation, timeline and the work forms."""

    model = Ticket
    template_name = "tickets/ticket_detail.html"
    context_object_name = "ticket"

    def get_queryset(self):
        return ticket_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(ticket_context(self.request, self.object))
        return context

