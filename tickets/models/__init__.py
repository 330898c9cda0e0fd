"""The tickets app's models, one module per family, all importable from `tickets.models`:

- `queue`: queues and the round-robin order of their members;
- `ticket`: priorities, categories, the ticket (with its SLA clock fields) and its timeline;
- `sla`: business calendars, SLA policies and their targets;
- `chat`: marketplace chat conversations and messages;
- `routing`: routing rules and macros;
- `escalation`: escalation policies, published ladder versions, escalations and their deliveries.
"""

from tickets.models.chat import ChatConversation, ChatMessage
from tickets.models.escalation import (
    Clock,
    Escalation,
    EscalationDelivery,
    EscalationLadder,
    EscalationLevel,
    EscalationPolicy,
    EscalationSweep,
    LadderLevel,
    RecipientRole,
    TicketLadder,
)
from tickets.models.queue import Queue, QueueRotation
from tickets.models.routing import KEYWORD_SPLIT, Macro, RoutingRule
from tickets.models.sla import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarInterval,
    Holiday,
    MakeupDay,
    SLAPolicy,
    SLATarget,
    default_pause_statuses,
    time_zone_validator,
)
from tickets.models.ticket import (
    PRIORITY_RANK,
    Category,
    Priority,
    Ticket,
    TicketParticipant,
    TicketQuerySet,
    TimelineEntry,
    priorities_at_least,
)

__all__ = [
    # queue
    "Queue",
    "QueueRotation",
    # ticket
    "Category",
    "PRIORITY_RANK",
    "Priority",
    "Ticket",
    "TicketParticipant",
    "TicketQuerySet",
    "TimelineEntry",
    "priorities_at_least",
    # sla
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarInterval",
    "Holiday",
    "MakeupDay",
    "SLAPolicy",
    "SLATarget",
    "default_pause_statuses",  # referenced by migration 0001
    "time_zone_validator",  # referenced by migration 0001
    # chat
    "ChatConversation",
    "ChatMessage",
    # routing
    "KEYWORD_SPLIT",
    "Macro",
    "RoutingRule",
    # escalation
    "Clock",
    "Escalation",
    "EscalationDelivery",
    "EscalationLadder",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationSweep",
    "LadderLevel",
    "RecipientRole",
    "TicketLadder",
]
