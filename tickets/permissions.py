"""Who sees and works which tickets: the tickets app's scope rules and PII predicates.

- director, executive, admin (org-wide roles): every ticket;
- everyone else with a ticket verb: tickets in queues of the teams in `visible_team_ids(user)`
  (their own teams and the teams below those they lead; managers every customer-service team),
  plus tickets assigned to them;
- and to read (`view` only): every ticket they worked or opened (`TicketParticipant`: replied,
  noted, was assigned, transferred, opened), so a hand-off never takes the ticket away from the
  people who had it (a logistics coordinator who opened a ticket from an alert reads it too);
- integration clients: no ticket through lists, but `rate` reaches any ticket of the client's
  stores (the marketplace reports ratings by ticket id) and chat ingestion is its own endpoint (`ingest`).

Customer phone and address are personal data (`portal.pii`): shown masked, and revealed (audited)
only to the ticket's assignee or a holder of `tickets.view_pii_ticket` (team lead, manager,
director, admin) for a ticket in their scope.
"""

from django.db.models import Q

from portal import pii
from portal.permissions import (
    has_action,
    is_org_wide,
    restrict,
    scope_rule,
    unscoped,
    user_roles,
    visible_store_ids,
    visible_team_ids,
)
from portal.roles import Role

# Verbs an integration client uses on any ticket without seeing the list.
INTEGRATION_VERBS = {"rate", "ingest"}


def register():
    from tickets.models import (
        BusinessCalendar,
        CalendarInterval,
        ChatConversation,
        ChatMessage,
        Holiday,
        Macro,
        MakeupDay,
        Queue,
        QueueRotation,
        RoutingRule,
        SLAPolicy,
        SLATarget,
        Ticket,
        TicketParticipant,
        TimelineEntry,
    )

    @scope_rule(Ticket)
    def ticket_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        if action in INTEGRATION_VERBS and Role.INTEGRATION in user_roles(user):
            # Any ticket of the client's stores (portal.integrations), though it lists none.
            return queryset.filter(store_id__in=visible_store_ids(user))
        condition = working_q(user)
        if action == "view":
            # A subquery, not a join: one row per ticket whatever the number of participants.
            condition |= Q(pk__in=TicketParticipant.objects.filter(user=user).values("ticket_id"))
        return queryset.filter(condition)

    @scope_rule(TicketParticipant)
    def participant_scope(queryset, user, action):
        return queryset.filter(ticket__in=restrict(Ticket.objects.all(), user, "view"))

    @scope_rule(TimelineEntry)
    def timeline_scope(queryset, user, action):
        return queryset.filter(ticket__in=restrict(Ticket.objects.all(), user, "view"))

    @scope_rule(ChatMessage)
    def chat_scope(queryset, user, action):
        return queryset.filter(ticket__in=restrict(Ticket.objects.all(), user, "view"))

    pii.register(Ticket, fields={"customer_phone": pii.PHONE, "customer_address": pii.ADDRESS},
                 may_see=may_see_pii, related=("queue",))

    @scope_rule(ChatConversation)
    def conversation_scope(queryset, user, action):
        return queryset.filter(ticket__in=restrict(Ticket.objects.all(), user, "view"))

    @scope_rule(RoutingRule)
    def routing_rule_scope(queryset, user, action):
        # A rule for one store is that store's configuration; rules for every store are everyone's.
        if is_org_wide(user):
            return queryset
        return queryset.filter(Q(store__isnull=True) | Q(store_id__in=visible_store_ids(user)))

    unscoped(Queue, reason="The queue directory: any ticket may be transferred to any queue, so every "
                           "holder of view_queue sees every queue (a name and its team).")
    for model in (BusinessCalendar, CalendarInterval, Holiday, MakeupDay, SLAPolicy, SLATarget):
        unscoped(model, reason="Working hours and SLA targets are organisation-wide configuration; they hold "
                               "no customer or store data.")
    unscoped(Macro, reason="Canned replies shared across the organisation; the reply form offers those of "
                           "the ticket's queue and team.")
    unscoped(QueueRotation, reason="Round-robin bookkeeping written by assignment; no role holds a permission "
                                   "on it and no page shows it.")



def working_q(user) -> Q:
    """The tickets a (not org-wide) user works: their teams' queues and those assigned to them."""
    return Q(queue__team_id__in=visible_team_ids(user)) | Q(assignee=user)


def working_tickets(queryset, user):
    """`queryset` narrowed to the tickets the user works (everything for org-wide roles), without the
    tickets they only read as past participants: escalation worklists follow this, not "view"."""
    return queryset if is_org_wide(user) else queryset.filter(working_q(user))


def may_see_pii(user, ticket) -> bool:
    """The PII rule of a ticket (registered with `portal.pii`): the assignee, or a role with
    view_pii on a ticket in scope. Uses only the ticket's own columns (and its queue's team, which
    lists load) and the user's cached roles, so a list can call it per row."""
    from tickets.models import Ticket

    if ticket.assignee_id is not None and ticket.assignee_id == user.pk:
        return True
    if not has_action(user, Ticket, "view_pii"):
        return False
    return is_org_wide(user) or ticket.queue.team_id in visible_team_ids(user)


def can(user, ticket, action: str) -> bool:
    """`portal.permissions.can` for tickets, named for readability in callers."""
    from portal.permissions import can as portal_can

    return portal_can(user, ticket, action)


def can_assign(user, ticket) -> bool:
    return can(user, ticket, "assign")


def can_reply(user, ticket) -> bool:
    return can(user, ticket, "reply")


def can_transfer(user, ticket) -> bool:
    return can(user, ticket, "transfer")


def can_resolve(user, ticket) -> bool:
    return can(user, ticket, "resolve")


def can_merge(user, ticket) -> bool:
    return can(user, ticket, "merge")
