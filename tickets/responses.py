"""Per-message facts for the service metrics, written when a reply is written.

A buyer's chat message is *answered by a person* by the first later public reply from a person on
staff: an agent's chat message, or a reply in the portal by a user (automatic messages and bots do
not count). When that reply is written, every buyer message of the ticket still waiting (sent at or
before the reply) gets `human_response_at` and `human_response_seconds`, the business time between
the two on the ticket's SLA calendar (calendar time for a ticket without a policy). Metrics then
count a column instead of walking conversations (scores: the 3-minute human response rate).
"""

from __future__ import annotations

from datetime import datetime

from tickets.businesstime import business_seconds_between
from tickets.models import ChatMessage, Ticket
from tickets.sla import SpecCache


def record_human_response(ticket: Ticket, *, reply_times: list[datetime], specs: SpecCache | None = None) -> int:
    """Mark the ticket's unanswered buyer messages answered by the earliest of `reply_times` at or
    after each. Two queries (read the waiting messages, one bulk update). Returns how many."""
    if not reply_times:
        return 0
    replies = sorted(reply_times)
    waiting = list(ChatMessage.objects.filter(
        ticket_id=ticket.pk, sender=ChatMessage.Sender.BUYER, human_response_at__isnull=True,
        sent_at__lte=replies[-1],
    ).only("id", "sent_at"))
    if not waiting:
        return 0
    spec = None
    if ticket.sla_policy_id:
        specs = specs or SpecCache()
        spec = specs.find(ticket.sla_policy.calendar_id)
    for message in waiting:
        answered_at = next(at for at in replies if at >= message.sent_at)
        message.human_response_at = answered_at
        message.human_response_seconds = (
            business_seconds_between(spec, message.sent_at, answered_at) if spec is not None
            else (answered_at - message.sent_at).total_seconds()
        )
    ChatMessage.objects.bulk_update(waiting, ["human_response_at", "human_response_seconds"])
    return len(waiting)
