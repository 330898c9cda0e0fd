"""Who sees and acknowledges escalations (registered from TicketsConfig.ready()).

- view: escalations of the tickets the user may view, plus any that reached the user; an
  executive (without a working role) sees only the escalations that reached them;
- acknowledge (and comment): the escalation's recipients (the chairman included), and the team
  leads, managers and directors whose scope covers the ticket (the people above the team);
  administrators everything.
"""

from django.db.models import Exists, OuterRef, Q

from portal.permissions import restrict, scope_rule, unscoped, user_roles
from portal.roles import Role
from tickets.permissions import working_tickets

OVERSIGHT_ROLES = {Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR}
# Roles whose holders see escalations by ticket visibility (executives only see what reached them).
TICKET_ROLES = {Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR, Role.REFUND_SPECIALIST,
                Role.INSTALLATION_COORDINATOR}


def reached_q(user) -> Q:
    from tickets.models import EscalationDelivery

    return Q(Exists(EscalationDelivery.objects.matching(OuterRef("pk")).filter(notifications__recipient=user)))


def register():
    from tickets.models import (
        Escalation,
        EscalationDelivery,
        EscalationLadder,
        EscalationLevel,
        EscalationPolicy,
        EscalationSweep,
        LadderLevel,
        Ticket,
        TicketLadder,
    )

    for model in (EscalationPolicy, EscalationLevel, EscalationLadder, LadderLevel):
        unscoped(model, reason="Escalation ladders are organisation-wide configuration (levels, delays, "
                               "recipient roles); they hold no ticket or customer data.")
    unscoped(EscalationSweep, reason="A log of sweep runs: times and counts only.")

    @scope_rule(TicketLadder)
    def ticket_ladder_scope(queryset, user, action):
        return queryset.filter(ticket__in=restrict(Ticket.objects.all(), user, "view"))

    @scope_rule(EscalationDelivery)
    def delivery_scope(queryset, user, action):
        # Who was told: administrators see every delivery, others the ones that reached them.
        if Role.ADMIN in user_roles(user):
            return queryset
        reached = EscalationDelivery.notifications.through.objects.filter(notification__recipient=user)
        return queryset.filter(pk__in=reached.values("escalationdelivery_id"))

    @scope_rule(Escalation)
    def escalation_scope(queryset, user, action):
        roles = user_roles(user)
        if Role.ADMIN in roles:
            return queryset
        if action == "acknowledge":
            if roles & {str(r) for r in OVERSIGHT_ROLES}:
                return queryset.filter(reached_q(user) | Q(ticket__in=working_tickets(Ticket.objects.all(), user)))
            return queryset.filter(reached_q(user))
        if not roles & {str(r) for r in TICKET_ROLES}:
            return queryset.filter(reached_q(user))
        # The tickets they work, not those they only read as past participants (tickets/permissions.py).
        return queryset.filter(reached_q(user) | Q(ticket__in=working_tickets(Ticket.objects.all(), user)))


def can_acknowledge(user, escalation) -> bool:
    from portal.permissions import can

    return can(user, escalation, "acknowledge")
