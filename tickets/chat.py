"""Chat ingestion: marketplace chat conversations become tickets.

(store, conversation id) is the idempotency key. The first post opens a ticket; later posts add
the messages not seen before (by message id) to the conversation's current ticket. A buyer message
on a ticket pending customer puts it back to open; after resolution it reopens the ticket within
the reopen window, and otherwise opens a new ticket linked to the old one (the conversation then
points at the new ticket). Agent messages stop the first-response clock; bot messages never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tickets import responses, services, sla
from tickets.models import ChatConversation, ChatMessage, Ticket, TimelineEntry

Sender = ChatMessage.Sender
KIND_BY_SENDER = {
    Sender.BUYER: TimelineEntry.Kind.CUSTOMER_MESSAGE,
    Sender.AGENT: TimelineEntry.Kind.REPLY,
    Sender.BOT: TimelineEntry.Kind.BOT_MESSAGE,
}


def reopen_window() -> timedelta:
    """How long after resolution a buyer message reopens the ticket (setting TICKETS_REOPEN_WINDOW_HOURS)."""
    return timedelta(hours=getattr(settings, "TICKETS_REOPEN_WINDOW_HOURS", 72))


def limits() -> dict[str, int]:
    return {
        "max_bytes": getattr(settings, "TICKETS_CHAT_MAX_BYTES", 1024 * 1024),
        "max_messages": getattr(settings, "TICKETS_CHAT_MAX_MESSAGES", 500),
        "max_text": getattr(settings, "TICKETS_CHAT_MAX_TEXT", 5000),
    }


@dataclass(frozen=True)
class IncomingMessage:
    id: str
    sent_at: datetime
    sender: str
    text: str


@dataclass
class IngestResult:
    ticket: Ticket
    created: bool
    added: int
    reopened: bool = False


def _live(ticket: Ticket) -> Ticket:
    """Follow merges to the ticket that carries on."""
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = ticket.merged_into
    return ticket


def _opening_time(messages, now):
    buyer = [m.sent_at for m in messages if m.sender == Sender.BUYER]
    return min(min(buyer or [m.sent_at for m in messages]), now)


def _open_ticket(*, store, buyer_nick, order_no, messages, actor, now, previous=None, conversation_id=""):
    buyer_text = "\n".join(m.text for m in messages if m.sender == Sender.BUYER)
    opened_at = _opening_time(messages, now)
    return services.create_ticket(
        store=store, actor=actor, now=opened_at, channel=Ticket.Channel.CHAT, order_no=order_no,
        buyer_nick=buyer_nick, subject=(buyer_text.strip().splitlines() or [""])[0][:200],
        description=buyer_text, previous_ticket=previous,
        created_data={"conversation_id": conversation_id, "received_at": now.isoformat()}, participant=False,
    )


def _add_messages(conversation, ticket, messages, *, actor, now):
    """Store the messages and their timeline entries; an agent message is a first response."""
    if not messages:
        return
    ChatMessage.objects.bulk_create(
        ChatMessage(
            conversation=conversation, ticket=ticket, external_id=m.id, sender=m.sender, sent_at=m.sent_at,
            text=m.text, received_at=now,
        )
        for m in messages
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            ticket=ticket, kind=KIND_BY_SENDER[m.sender], actor=None, at=m.sent_at, body=m.text,
            visibility=TimelineEntry.Visibility.PUBLIC,
            data={"source": "chat", "sender": m.sender, "message_id": m.id, "received_at": now.isoformat()},
        )
        for m in messages
    )
    agent = [m for m in messages if m.sender == Sender.AGENT]
    if agent:
        responses.record_human_response(ticket, reply_times=[m.sent_at for m in agent])
    if agent and ticket.first_response_at is None:
        sla.record_first_response(ticket, at=min(m.sent_at for m in agent))
    if agent and ticket.status == Ticket.Status.NEW:
        services._change_status(ticket, Ticket.Status.OPEN, actor=actor, now=now)
    if any(m.sender == Sender.BUYER for m in messages) and ticket.status == Ticket.Status.PENDING_CUSTOMER:
        services._change_status(ticket, Ticket.Status.OPEN, actor=actor, now=now, body=_("The customer wrote again."))
        if ticket.assignee_id:
            services._notify(ticket.assignee, ticket, "tickets.customer_replied", now=now)
    services._save(ticket, now)


def ingest_conversation(*, store, conversation_id, buyer_nick, order_no="", messages, actor, now) -> IngestResult:
    """Create or update the ticket of one chat conversation. Idempotent per (store, conversation id)
    and message id. Everything happens in one transaction."""
    messages = sorted(messages, key=lambda m: (m.sent_at, m.id))
    with transaction.atomic():
        conversation = (
            ChatConversation.objects.select_for_update(of=("self",))  # the joined ticket may be merged_into NULL
            .select_related("ticket", "ticket__merged_into")
            .filter(store=store, conversation_id=conversation_id)
            .first()
        )
        if conversation is None:
            try:
                with transaction.atomic():
                    ticket = _open_ticket(
                        store=store, buyer_nick=buyer_nick, order_no=order_no, messages=messages, actor=actor,
                        now=now, conversation_id=conversation_id,
                    )
                    conversation = ChatConversation.objects.create(
                        store=store, conversation_id=conversation_id, ticket=ticket, created_at=now
                    )
                    _add_messages(conversation, ticket, messages, actor=actor, now=now)
                    return IngestResult(ticket=ticket, created=True, added=len(messages))
            except IntegrityError:
                # A concurrent post created the conversation first: continue as a repeat.
                conversation = ChatConversation.objects.select_related("ticket").get(
                    store=store, conversation_id=conversation_id
                )

        seen = set(conversation.messages.values_list("external_id", flat=True))
        new = [m for m in messages if m.id not in seen]
        ticket = _live(conversation.ticket)
        if not new:
            return IngestResult(ticket=ticket, created=False, added=0)
        buyer_new = [m for m in new if m.sender == Sender.BUYER]
        created = reopened = False
        if buyer_new and not ticket.is_open:
            first_at = buyer_new[0].sent_at
            if ticket.status == Ticket.Status.RESOLVED and first_at <= ticket.resolved_at + reopen_window():
                services.reopen(ticket, actor=actor, now=now, reason=_("The customer wrote again."))
                reopened = True
            else:
                ticket = _open_ticket(
                    store=store, buyer_nick=buyer_nick or ticket.buyer_nick, order_no=order_no or ticket.order_no,
                    messages=new, actor=actor, now=now, previous=ticket, conversation_id=conversation_id,
                )
                created = True
        if conversation.ticket_id != ticket.pk:
            conversation.ticket = ticket
            conversation.save(update_fields=["ticket"])
        if order_no and not ticket.order_no:
            services.update_ticket(ticket, actor=actor, now=now, order_no=order_no)
        _add_messages(conversation, ticket, new, actor=actor, now=now)
        return IngestResult(ticket=ticket, created=created, added=len(new), reopened=reopened)
