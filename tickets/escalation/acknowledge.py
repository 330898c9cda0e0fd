"""Acknowledging an escalation: the acknowledger takes ownership and the ladder of the ticket's
cycle halts for the level's acknowledgement window."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.formatting import person_name
from tickets.escalation.ladders import level_label
from tickets.models import Escalation, TicketLadder, TimelineEntry

Kind = TimelineEntry.Kind
INTERNAL = TimelineEntry.Visibility.INTERNAL


def acknowledge(escalation: Escalation, *, actor, now) -> Escalation:
    """`actor` takes ownership: further levels of this ticket's cycle wait for the level's
    acknowledgement window, then resume if the ticket is still unresolved.

    Who may acknowledge is the caller's check (`restrict(..., "acknowledge")`: the escalation's
    recipients and the leads and managers above the ticket's team).
    """
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(of=("self",)).select_related("level", "ticket").get(pk=escalation.pk)
        )
        ticket = escalation.ticket
        if escalation.acknowledged_at is not None:
            raise ValidationError({"escalation": _("Already acknowledged by %(user)s.") % {
                "user": person_name(escalation.acknowledged_by)}})
        if not ticket.is_open or escalation.cycle != ticket.sla_cycle:
            raise ValidationError({"escalation": _("The ticket is no longer open in this SLA cycle.")})
        hold = now + escalation.level.ack_window
        escalation.acknowledged_by = actor
        escalation.acknowledged_at = now
        escalation.hold_until = hold
        escalation.save(update_fields=["acknowledged_by", "acknowledged_at", "hold_until"])
        track = TicketLadder.objects.select_for_update().filter(ticket=ticket, cycle=escalation.cycle).first()
        if track is not None and (track.hold_until is None or track.hold_until < hold):
            track.hold_until = hold
            track.save(update_fields=["hold_until"])
        TimelineEntry.objects.create(
            ticket=ticket, kind=Kind.ESCALATION, actor=actor, at=now, visibility=INTERNAL,
            body=_("Acknowledged %(level)s; further levels wait until %(until)s.") % {
                "level": level_label(escalation.level), "until": _local(hold),
            },
            data={"acknowledged": escalation.pk, "level": escalation.level.position, "hold_until": hold.isoformat()},
        )
    return escalation


MAX_COMMENT = 2000


def comment(escalation: Escalation, *, actor, now, text: str) -> TimelineEntry:
    """`actor` (who may acknowledge it) comments on the escalation: an internal entry on the
    ticket's timeline, shown with the escalation on the worklist."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"comment": _("Write the comment.")})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"comment": _("At most %(n)s characters.") % {"n": MAX_COMMENT}})
    with transaction.atomic():
        escalation = Escalation.objects.select_related("level").get(pk=escalation.pk)
        return TimelineEntry.objects.create(
            ticket_id=escalation.ticket_id, kind=Kind.ESCALATION, actor=actor, at=now, visibility=INTERNAL,
            body=text, data={"escalation_comment": escalation.pk, "level": escalation.level.position},
        )



def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

