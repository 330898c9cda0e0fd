"""Domain operations on tickets (`do_*`-style functions): every write goes through here.

Each function runs in one transaction, changes the ticket, appends its timeline entry (the audit
trail: actor and time) and queues the notifications it causes in the same transaction. They take
keyword-only `actor=` and `now=` and never read the clock. Access checks (may this user act on
this ticket?) belong to the caller (tickets/permissions.py through `restrict`); domain rules
(who may be assigned, which status changes exist) are enforced here with ValidationError.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from portal import outbound, pii, registry
from portal.formatting import person_name
from portal.models import Membership, Notification, OutboundMessage, Team
from portal.notifications import queue_notification
from portal.roles import Role
from tickets import responses, routing, sla
from tickets.escalation.ladders import start_ladder
from tickets.models import Macro, Queue, QueueRotation, Ticket, TicketParticipant, TimelineEntry

Kind = TimelineEntry.Kind
Status = Ticket.Status
PUBLIC, INTERNAL = TimelineEntry.Visibility.PUBLIC, TimelineEntry.Visibility.INTERNAL

# Roles that work tickets in a queue's team (who may be assigned, and who round-robin picks from).
WORKER_ROLES = [Role.AGENT, Role.TEAM_LEAD, Role.REFUND_SPECIALIST, Role.INSTALLATION_COORDINATOR]
ROUND_ROBIN_ROLES = WORKER_ROLES
# Who hears about a ticket that lands unassigned in a team.
LEAD_ROLES = [Role.TEAM_LEAD]
MAX_HANDLING_SECONDS = 24 * 3600
# The one length limit of a reply or note, in the composer (with its counter) and the API alike.
MAX_REPLY_LENGTH = 10000
# Statuses a reply (or note) may set the ticket to in the same step: "send and set status to ...".
SEND_STATUSES = [Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL, Status.RESOLVED]
EDITABLE_FIELDS = [
    "category", "priority", "is_major", "order_no", "buyer_nick", "customer_phone", "customer_address", "subject",
]


# --- Helpers ----------------------------------------------------------------------------------


def ticket_link(ticket) -> str:
    try:
        return reverse("tickets:ticket", args=[ticket.pk])
    except NoReverseMatch:
        return f"/tickets/{ticket.pk}/"


def _lock(ticket: Ticket) -> Ticket:
    """Lock the row for this transaction and refresh the caller's instance from it."""
    Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).first()
    ticket.refresh_from_db()
    return ticket


def _entry(ticket, kind, *, actor, now, body="", visibility=INTERNAL, data=None, handling_seconds=None):
    return TimelineEntry.objects.create(
        ticket=ticket, kind=kind, actor=actor, at=now, body=body, visibility=visibility, data=data or {},
        handling_seconds=handling_seconds,
    )


def record_link(ticket, *, actor, now, body, data) -> TimelineEntry:
    """Note on the ticket's timeline that another app linked something to it (an installation job,
    a refund request...). The one way for other apps to write a ticket's timeline."""
    return _entry(ticket, TimelineEntry.Kind.LINK, actor=actor, now=now, body=body, data=data)


def _save(ticket, now):
    ticket.updated_at = now
    ticket.full_clean(
        exclude=["store", "queue", "assignee", "sla_policy", "previous_ticket", "merged_into"],
        validate_unique=False, validate_constraints=False,
    )
    ticket.save()


def _check_handling(handling_seconds):
    if handling_seconds is None:
        return None
    if not isinstance(handling_seconds, int) or isinstance(handling_seconds, bool) or not (
        0 <= handling_seconds <= MAX_HANDLING_SECONDS
    ):
        raise ValidationError({"handling_seconds": _("Give the time spent in seconds, 0 to 86400.")})
    return handling_seconds


def _require_open(ticket, field="status"):
    if ticket.merged_into_id:
        raise ValidationError({field: _("The ticket was merged into #%(id)s.") % {"id": ticket.merged_into_id}})
    if not ticket.is_open:
        raise ValidationError({field: _("The ticket is %(status)s.") % {"status": ticket.get_status_display()}})


def _notify(user, ticket, message_key, *, now, **params):
    """An in-app message about `ticket` (texts in tickets/notification_texts.py)."""
    if user is None:
        return
    queue_notification(
        recipient=user, channel=Notification.Channel.IN_APP, message_key=message_key,
        params={"id": ticket.pk, **params}, link=ticket_link(ticket), source=f"ticket:{ticket.pk}", now=now,
    )


def _notify_team_leads(team_id, ticket, message_key, *, now, exclude=None, **params):
    leads = list(
        Membership.objects.filter(team_id=team_id, role__in=LEAD_ROLES, user__is_active=True).select_related("user")
    )
    for membership in leads:
        if membership.user_id != getattr(exclude, "pk", None):
            _notify(membership.user, ticket, message_key, now=now, **params)


def _participate(ticket, user, how, now):
    """Remember that `user` worked the ticket: they keep read access after it moves on."""
    if user is None or not getattr(user, "pk", None):
        return
    updated = TicketParticipant.objects.filter(ticket=ticket, user=user).update(last_at=now)
    if not updated:
        TicketParticipant.objects.get_or_create(ticket=ticket, user=user,
                                                defaults={"how": how, "first_at": now, "last_at": now})


def _check_length(body, field="body"):
    if len(body or "") > MAX_REPLY_LENGTH:
        raise ValidationError({field: _("Keep it to %(n)d characters (this is %(len)d).") % {
            "n": MAX_REPLY_LENGTH, "len": len(body)}})



def _status_entry(ticket, old, new, *, actor, now, body="", handling_seconds=None, **extra):
    return _entry(
        ticket, Kind.STATUS, actor=actor, now=now, body=body, handling_seconds=handling_seconds,
        data={"from": old, "to": new, "cycle": ticket.sla_cycle, **extra},
    )


class AssignmentRefused(ValidationError):
    """`check_assignable` said no: a field error on `assignee` with the reason (a ValidationError,
    so every caller that shows field errors shows it at the assignee). Its code says why:
    "not_member" (not a worker of the queue's team) or "guarded" (an assignment guard refused; the
    guard's reason is in the error's `params["reason"]`)."""


def check_team_member(queue: Queue, user) -> None:
    """The first half of `check_assignable`: `user` is an active member of the queue's team in a
    working role. Raises `AssignmentRefused` otherwise."""
    ok = user.is_active and Membership.objects.filter(
        team_id=queue.team_id, user=user, role__in=WORKER_ROLES
    ).exists()
    if not ok:
        raise AssignmentRefused({"assignee": ValidationError(
            _("%(user)s does not work in the team of queue %(queue)s.") % {"user": user, "queue": queue},
            code="not_member",
        )})


def check_assignable(queue: Queue, user, *, now) -> None:
    """May `user` be given tickets of `queue`? The one check of every assignment path: by hand,
    bulk, a transfer with an assignee, the API, "take it", a reply that assigns (round-robin asks
    `assignment_refusals` itself, set-based, and skips the refused). Raises `AssignmentRefused`
    (a ValidationError on "assignee") with the reason; returns None when allowed or `user` is None.

    The assignee must be an active member of the queue's team in a working role, and no assignment
    guard registered in `portal.registry` may refuse them (e.g. training's queue gate: a queue that
    requires a certification the person does not hold at `now`; the message names the certification)."""
    if user is None:
        return
    check_team_member(queue, user)
    reason = registry.assignment_refusals(queue, [user.pk], now=now).get(user.pk)
    if reason:
        raise AssignmentRefused({"assignee": ValidationError(
            "%(user)s: %(reason)s", code="guarded", params={"user": person_name(user), "reason": reason},
        )})


def _refresh_sla(ticket, *, actor, now):
    if sla.refresh(ticket, now=now):
        _entry(ticket, Kind.SLA, actor=actor, now=now, data=sla.timeline_data(ticket))


# --- Creating ---------------------------------------------------------------------------------


def create_ticket(
    *, store, actor, now, channel=Ticket.Channel.PHONE, queue=None, category=None, priority=None,
    is_major=None, order_no="", buyer_nick="", customer_phone="", customer_address="", subject="",
    description="", assignee=None, previous_ticket=None, created_data=None, resolution_due_fixed_at=None,
    participant=True,
) -> Ticket:
    """Open a ticket. Routing rules fill in what is not given (queue, category, priority, major flag)
    from the description, the store and whether there is an order number; the SLA clocks start.
    `resolution_due_fixed_at` fixes the resolution due time in wall-clock time (an outside party's
    deadline, e.g. a marketplace's respond-by time): pauses, priority and policy changes keep it.
    The actor keeps read access to it (`participant`; not for a marketplace integration's chat)."""
    with transaction.atomic():
        route = routing.route(store=store, text=description, has_order=bool(order_no))
        ticket = Ticket(
            store=store, channel=channel, order_no=order_no or "", buyer_nick=buyer_nick or "",
            customer_phone=customer_phone or "", customer_address=customer_address or "",
            subject=(subject or (description.strip().splitlines()[0] if description.strip() else ""))[:200],
            queue=queue or route.queue,
            category=category or route.category,
            priority=priority or route.priority,
            is_major=route.is_major if is_major is None else is_major,
            previous_ticket=previous_ticket, status=Status.NEW, created_at=now, updated_at=now,
            resolution_due_fixed_at=resolution_due_fixed_at,
        )
        if ticket.queue_id is None:  # (reading .queue of an unset foreign key would raise)
            raise ValidationError({"queue": _("No queue given and no default queue is configured.")})
        sla.start_clocks(ticket, now=now)
        _save(ticket, now)
        start_ladder(ticket, now=now)  # the escalation ladder version this SLA cycle runs on
        data = {
            "channel": ticket.channel, "queue": ticket.queue_id, "category": ticket.category,
            "priority": ticket.priority, "is_major": ticket.is_major, "rule": route.rule_id,
            **(created_data or {}),
        }
        if previous_ticket is not None:
            data["previous_ticket"] = previous_ticket.pk
        _entry(ticket, Kind.CREATED, actor=actor, now=now, body=description, data=data)
        if participant:
            _participate(ticket, actor, TicketParticipant.How.CREATED, now)
        if previous_ticket is not None:
            _entry(previous_ticket, Kind.LINK, actor=actor, now=now, data={"follow_up": ticket.pk})
        if assignee is not None:
            assign(ticket, actor=actor, assignee=assignee, now=now)
        elif ticket.is_major:
            _notify_team_leads(ticket.queue.team_id, ticket, "tickets.major_complaint", now=now)
    return ticket


# --- Conversation -----------------------------------------------------------------------------


def conversation_id_of(ticket) -> str | None:
    """The marketplace chat conversation a reply to this ticket goes to (the latest; None: no chat)."""
    return ticket.conversations.order_by("-id").values_list("conversation_id", flat=True).first()


def _publish_reply(ticket, entry, now):
    """The reply goes to the buyer through the outbound feed (the store's webhook or polling)."""
    outbound.publish(
        store=ticket.store, topic=OutboundMessage.Topic.CHAT_REPLY, source=reply_source(entry), now=now,
        payload={
            "store": ticket.store.code, "conversation_id": conversation_id_of(ticket),
            "message_id": f"portal-{entry.pk}", "text": entry.body, "sent_at": now.isoformat(),
        },
    )


def reply_source(entry) -> str:
    """The outbound message's `source` of a reply (the ticket page finds its delivery state by it)."""
    return f"ticket_reply:{entry.pk}"


def fill_macro(ticket, macro: Macro, actor) -> str:
    """A macro's text with its placeholders filled in for this ticket and agent (what the composer
    inserts into the reply box, and what the API sends when a macro comes without text)."""
    return macro.render(ticket, actor, extra=registry.macro_values(ticket))


def reply(
    ticket, *, actor, body, now, handling_seconds=None, status=None, macro=None, automatic=False, data=None,
    seen_entry=None,
) -> TimelineEntry:
    """A public reply to the customer, sent to the buyer through the outbound feed in the same
    transaction. The first public reply by a person on staff (an actor, not an automatic message)
    stops the first-response clock. `status` optionally moves the ticket on (e.g. to pending
    customer, or resolved); a new ticket becomes open. `macro` records which macro the text came
    from; a macro without text (the API) sends the macro's filled-in text. The text is never
    added to unseen. A reply to an unassigned ticket takes it for the replier if the queue says so
    and the assignment guards allow it (else a note says why it stays unassigned)."""
    with transaction.atomic():
        _lock(ticket)
        if ticket.merged_into_id or ticket.status == Status.CLOSED:
            _require_open(ticket, field="body")
        handling_seconds = _check_handling(handling_seconds)
        if macro is not None and not (body or "").strip():
            body = fill_macro(ticket, macro, actor)
        if not (body or "").strip():
            raise ValidationError({"body": _("Write the reply.")})
        _check_length(body)
        if status is not None and status not in SEND_STATUSES:
            raise ValidationError({"status": _("Choose open, pending customer, pending internal or resolved.")})
        entry_data = dict(data or {})
        if macro is not None:
            entry_data["macro"] = macro.pk
        if automatic:
            entry_data["automatic"] = True
        entry = _entry(
            ticket, Kind.REPLY, actor=actor, now=now, body=body, visibility=PUBLIC, data=entry_data,
            handling_seconds=handling_seconds,
        )
        _publish_reply(ticket, entry, now)
        if actor is not None and not automatic:
            sla.record_first_response(ticket, at=now)
            responses.record_human_response(ticket, reply_times=[now])
            _participate(ticket, actor, TicketParticipant.How.REPLIED, now)
            if ticket.assignee_id is None and ticket.queue.assign_on_reply and ticket.is_open:
                _assign_replier(ticket, actor, now)
        if status == Status.RESOLVED:
            _save(ticket, now)
            resolve(ticket, actor=actor, now=now)
            return entry
        if status is not None and status != ticket.status:
            _change_status(ticket, status, actor=actor, now=now)
        elif ticket.status == Status.NEW:
            _change_status(ticket, Status.OPEN, actor=actor, now=now)
        _save(ticket, now)
    return entry


def _assign_replier(ticket, actor, now):
    """A reply to an unassigned ticket takes it for a worker of the queue's team (a manager or
    someone of another team answering leaves it as it is), unless the assignment guards refuse the
    replier: then the ticket stays unassigned and a note says why."""
    _save(ticket, now)  # `assign` reloads the ticket: keep what the reply changed so far
    try:
        assign(ticket, actor=actor, assignee=actor, now=now, via="reply")
    except AssignmentRefused as error:
        guarded = [e for e in error.error_dict.get("assignee", []) if e.code == "guarded"]
        if guarded:
            _entry(ticket, Kind.NOTE, actor=None, now=now, data={"auto_assign_refused": actor.pk},
                   body=_("Not assigned to %(user)s on their reply: %(reason)s") % {
                       "user": person_name(actor), "reason": guarded[0].params["reason"]})


def apply_macro(ticket, *, macro: Macro, actor, now, handling_seconds=None, status=None) -> TimelineEntry:
    """Reply with a macro's text, placeholders filled in from the ticket."""
    return reply(ticket, actor=actor, body="", macro=macro, now=now, handling_seconds=handling_seconds, status=status)


def add_note(ticket, *, actor, body, now, handling_seconds=None, status=None) -> TimelineEntry:
    """An internal note (never counts as a response); `status` optionally moves the ticket on."""
    with transaction.atomic():
        _lock(ticket)
        handling_seconds = _check_handling(handling_seconds)
        if not (body or "").strip():
            raise ValidationError({"body": _("Write the note.")})
        _check_length(body)
        if status is not None and status not in SEND_STATUSES:
            raise ValidationError({"status": _("Choose open, pending customer, pending internal or resolved.")})
        entry = _entry(ticket, Kind.NOTE, actor=actor, now=now, body=body, handling_seconds=handling_seconds)
        _participate(ticket, actor, TicketParticipant.How.NOTED, now)
        _save(ticket, now)
        if status == Status.RESOLVED:
            resolve(ticket, actor=actor, now=now)
        elif status is not None and status != ticket.status:
            change_status(ticket, actor=actor, status=status, now=now)
    return entry


def take(ticket, *, actor, now) -> Ticket:
    """"Take it": assign the ticket to the one asking, if the team and the assignment guards allow."""
    return assign(ticket, actor=actor, assignee=actor, now=now, via="take")


# --- Ownership --------------------------------------------------------------------------------


def _record_rotation(queue_id, user, now):
    QueueRotation.objects.update_or_create(queue_id=queue_id, user=user, defaults={"last_assigned_at": now})


def assign(ticket, *, actor, assignee, now, via="manual") -> Ticket:
    """Give the ticket to `assignee` (None to unassign); the new assignee is notified in-app."""
    with transaction.atomic():
        _lock(ticket)
        _require_open(ticket, field="assignee")
        check_assignable(ticket.queue, assignee, now=now)
        if assignee is not None and ticket.assignee_id == assignee.pk:
            return ticket
        previous = ticket.assignee
        ticket.assignee = assignee
        _entry(
            ticket, Kind.ASSIGN, actor=actor, now=now,
            data={
                "from": previous.pk if previous else None, "to": assignee.pk if assignee else None,
                "to_name": person_name(assignee), "queue": ticket.queue_id, "via": via,
            },
        )
        if assignee is not None and ticket.status == Status.NEW:
            _change_status(ticket, Status.OPEN, actor=actor, now=now)
        _save(ticket, now)
        if assignee is not None:
            _record_rotation(ticket.queue_id, assignee, now)
            _participate(ticket, assignee, TicketParticipant.How.ASSIGNED, now)
            if assignee != actor:
                _notify(assignee, ticket, "tickets.assigned", now=now, subject=ticket.subject)
    return ticket


def next_round_robin_assignee(queue: Queue, *, now):
    """The available member of the queue's team (working roles) whose last assignment in this queue
    is oldest (never assigned first; ties by user id), skipping those an assignment guard refuses
    at `now` (`portal.registry.assignment_refusals`). None if nobody is available."""
    member_ids = sorted(set(
        Membership.objects.filter(
            team_id=queue.team_id, is_available=True, role__in=ROUND_ROBIN_ROLES, user__is_active=True
        ).values_list("user_id", flat=True)
    ))
    refused = registry.assignment_refusals(queue, member_ids, now=now)  # e.g. uncertified for a gated queue
    member_ids = [uid for uid in member_ids if uid not in refused]
    if not member_ids:
        return None
    last = dict(
        QueueRotation.objects.filter(queue=queue, user_id__in=member_ids).values_list("user_id", "last_assigned_at")
    )
    chosen = min(member_ids, key=lambda uid: (uid in last, last.get(uid), uid))
    return get_user_model().objects.get(pk=chosen)


def assign_round_robin(ticket, *, actor, now):
    """Assign to the next available member of the queue's team. Returns the assignee (or None)."""
    with transaction.atomic():
        _lock(ticket)
        assignee = next_round_robin_assignee(ticket.queue, now=now)
        if assignee is None:
            raise ValidationError({"assignee": _("Nobody in the team of queue %(queue)s is available.") % {
                "queue": ticket.queue}})
        assign(ticket, actor=actor, assignee=assignee, now=now, via="round_robin")
    return assignee


def default_queue_of(team: Team) -> Queue | None:
    return Queue.objects.filter(team=team).order_by("-is_default", "id").first()


def transfer(ticket, *, actor, now, queue=None, team=None, assignee=None, note="", round_robin=False) -> Ticket:
    """Move the ticket to another queue (or to a team's default queue) in one step, keeping its
    timeline. The assignee is cleared unless one in the new team is given (or picked round-robin);
    the SLA policy is re-matched without giving back time already used."""
    with transaction.atomic():
        _lock(ticket)
        _require_open(ticket, field="queue")
        if queue is None and team is not None:
            queue = default_queue_of(team)
            if queue is None:
                raise ValidationError({"team": _("Team %(team)s has no queue.") % {"team": team}})
        if queue is None:
            raise ValidationError({"queue": _("Choose the queue or team to transfer to.")})
        if queue.pk == ticket.queue_id:
            raise ValidationError({"queue": _("The ticket is already in this queue.")})
        check_assignable(queue, assignee, now=now)
        old_queue, old_assignee = ticket.queue, ticket.assignee
        ticket.queue = queue
        ticket.assignee = None
        _entry(
            ticket, Kind.TRANSFER, actor=actor, now=now, body=note or "",
            data={
                "from_queue": old_queue.pk, "to_queue": queue.pk, "from_team": old_queue.team_id,
                "to_team": queue.team_id, "from_assignee": old_assignee.pk if old_assignee else None,
            },
        )
        _refresh_sla(ticket, actor=actor, now=now)
        _save(ticket, now)
        _participate(ticket, actor, TicketParticipant.How.TRANSFERRED, now)
        if assignee is not None:
            assign(ticket, actor=actor, assignee=assignee, now=now, via="transfer")
        elif round_robin and next_round_robin_assignee(queue, now=now) is not None:
            assign_round_robin(ticket, actor=actor, now=now)
        else:
            _notify_team_leads(
                queue.team_id, ticket, "tickets.transferred", queue=queue.name, now=now, exclude=actor,
            )
    return ticket


# --- Status -----------------------------------------------------------------------------------


MANUAL_STATUSES = [Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL]


def _change_status(ticket, new, *, actor, now, body="", handling_seconds=None):
    """Move between open statuses; pause or resume the clocks as the policy says (no save)."""
    old = ticket.status
    if new == old:
        return
    pausing = sla.pause_statuses(ticket)
    ticket.status = new
    if ticket.sla_policy_id:
        if new in pausing and old not in pausing:
            sla.pause(ticket, now=now)
        elif old in pausing and new not in pausing:
            sla.resume(ticket, now=now)
    _status_entry(ticket, old, new, actor=actor, now=now, body=body, handling_seconds=handling_seconds)


def change_status(ticket, *, actor, status, now, note="") -> Ticket:
    """Set an open status (open, pending customer, pending internal). Resolving, reopening and
    closing have their own functions."""
    with transaction.atomic():
        _lock(ticket)
        _require_open(ticket)
        if status not in MANUAL_STATUSES:
            raise ValidationError({"status": _("Choose open, pending customer or pending internal.")})
        _change_status(ticket, status, actor=actor, now=now, body=note)
        _save(ticket, now)
    return ticket


def resolve(ticket, *, actor, now, note="", handling_seconds=None) -> Ticket:
    """Resolve: stops the resolution clock of the current cycle."""
    with transaction.atomic():
        _lock(ticket)
        _require_open(ticket)
        handling_seconds = _check_handling(handling_seconds)
        old = ticket.status
        sla.record_resolution(ticket, at=now)
        ticket.status = Status.RESOLVED
        ticket.resolved_at = now
        if ticket.first_resolved_at is None:
            ticket.first_resolved_at = now
            ticket.first_resolution_seconds = max(0, int((now - ticket.created_at).total_seconds()))
        _save(ticket, now)
        _status_entry(ticket, old, Status.RESOLVED, actor=actor, now=now, body=note, handling_seconds=handling_seconds)
    return ticket


def reopen(ticket, *, actor, now, reason="") -> Ticket:
    """Reopen a resolved ticket: a new SLA cycle with a fresh resolution clock."""
    with transaction.atomic():
        _lock(ticket)
        if ticket.status != Status.RESOLVED or ticket.merged_into_id:
            raise ValidationError({"status": _("Only a resolved ticket can be reopened.")})
        sla.start_new_cycle(ticket, now=now)
        ticket.status = Status.OPEN
        ticket.resolved_at = None
        _save(ticket, now)
        start_ladder(ticket, now=now)  # a new cycle starts the ladder afresh, on the current version
        _status_entry(ticket, Status.RESOLVED, Status.OPEN, actor=actor, now=now, body=reason, reopened=True)
        if ticket.assignee_id and ticket.assignee != actor:
            _notify(ticket.assignee, ticket, "tickets.reopened", now=now, reason=reason)
    return ticket


def close(ticket, *, actor, now, note="") -> Ticket:
    """Close a resolved ticket for good (a later customer message opens a linked new ticket)."""
    with transaction.atomic():
        _lock(ticket)
        if ticket.status != Status.RESOLVED:
            raise ValidationError({"status": _("Only a resolved ticket can be closed.")})
        ticket.status = Status.CLOSED
        ticket.closed_at = now
        _save(ticket, now)
        _status_entry(ticket, Status.RESOLVED, Status.CLOSED, actor=actor, now=now, body=note)
    return ticket


# --- Fields -----------------------------------------------------------------------------------


def update_ticket(ticket, *, actor, now, **changes) -> Ticket:
    """Change descriptive fields (category, priority, major flag, order number, customer data,
    subject). Each change is a timeline entry; category or priority re-match the SLA policy."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in unknown})
    with transaction.atomic():
        _lock(ticket)
        if ticket.merged_into_id:
            _require_open(ticket, field="non_field_errors")
        changed = {}
        for field, value in changes.items():
            old = getattr(ticket, field)
            if value is None and field != "is_major":
                value = ""
            if old != value:
                setattr(ticket, field, value)
                changed[field] = (old, value)
        if not changed:
            return ticket
        personal = pii.pii_fields(Ticket)
        for field, (old, new) in changed.items():
            # Customer PII stays out of the audit trail's values; the entry records that it changed.
            data = {"field": field} if field in personal else {"field": field, "from": old, "to": new}
            _entry(ticket, Kind.FIELD, actor=actor, now=now, data=data)
        if {"category", "priority"} & set(changed):
            _refresh_sla(ticket, actor=actor, now=now)
        _save(ticket, now)
    return ticket


def change_priority(ticket, *, priority, actor, now) -> Ticket:
    """Set the priority (e.g. an escalation level raising it); due times follow the new target."""
    return update_ticket(ticket, actor=actor, now=now, priority=priority)


# --- Merge and rating -------------------------------------------------------------------------


def merge(ticket, *, into: Ticket, actor, now) -> Ticket:
    """Merge duplicate `ticket` into `into`: the duplicate is closed and points to the survivor;
    its chat conversation continues on the survivor. Both timelines record it."""
    with transaction.atomic():
        _lock(ticket)
        _lock(into)
        if into.pk == ticket.pk:
            raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
        if ticket.merged_into_id or ticket.status == Status.CLOSED:
            raise ValidationError({"into": _("This ticket is already closed or merged.")})
        if into.merged_into_id or into.status == Status.CLOSED:
            raise ValidationError({"into": _("Ticket #%(id)s is closed or merged.") % {"id": into.pk}})
        if into.store_id != ticket.store_id:
            raise ValidationError({"into": _("Only tickets of the same store can be merged.")})
        old = ticket.status
        sla.stop(ticket)
        ticket.merged_into = into
        ticket.status = Status.CLOSED
        ticket.closed_at = now
        _save(ticket, now)
        ticket.conversations.update(ticket=into)
        _entry(ticket, Kind.MERGE, actor=actor, now=now, data={"into": into.pk, "from_status": old})
        _entry(into, Kind.MERGE, actor=actor, now=now, data={"merged": ticket.pk})
        _save(into, now)
    return ticket


def rate(ticket, *, rating, comment="", actor, now) -> Ticket:
    """Record the customer's satisfaction rating (1-5) and comment; a later rating replaces it."""
    with transaction.atomic():
        _lock(ticket)
        if ticket.merged_into_id:
            _require_open(ticket, field="rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise ValidationError({"rating": _("Give a rating from 1 to 5.")})
        ticket.rating = rating
        ticket.rating_comment = comment or ""
        ticket.rated_at = now
        _save(ticket, now)
        _entry(
            ticket, Kind.RATING, actor=actor, now=now, body=comment or "", visibility=PUBLIC, data={"rating": rating}
        )
    return ticket


def fix_resolution_deadline(ticket, *, at, actor, now) -> Ticket:
    """Fix the ticket's resolution due time at `at` in wall-clock time (an outside party's deadline,
    e.g. a marketplace's respond-by time); an earlier fixed deadline already set stands. Pauses,
    priority and policy changes keep it (tickets/sla.py `pin_fixed_deadline`)."""
    with transaction.atomic():
        _lock(ticket)
        if ticket.resolution_due_fixed_at is not None and ticket.resolution_due_fixed_at <= at:
            return ticket
        ticket.resolution_due_fixed_at = at
        sla.pin_fixed_deadline(ticket)
        if ticket.is_open:
            _entry(ticket, Kind.SLA, actor=actor, now=now, data=sla.timeline_data(ticket))
        _save(ticket, now)
    return ticket
