"""Who sees and acknowledges escalations (registered from TicketsConfig.ready()).

- view: escalations of the tickets the user may view, plus any that reached the user; an
  executive (without a working role) sees only the escalations that reached them, read-only;
- acknowledge: the escalation's recipients, and the team leads, managers and directors whose
  scope covers the ticket (the people above the team); administrators everything.
"""

from django.db.models import Exists, OuterRef, Q

from portal.permissions import restrict, scope_rule, user_roles
from portal.roles import Role

OVERSIGHT_ROLES = {Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR}
# Roles whose holders see escalations by ticket visibility (executives only see what reached them).
TICKET_ROLES = {Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR, Role.REFUND_SPECIALIST,
                Role.INSTALLATION_COORDINATOR}


def reached_q(user) -> Q:
    from tickets.models import EscalationDelivery

    return Q(Exists(EscalationDelivery.objects.matching(OuterRef("pk")).filter(notifications__recipient=user)))


def register():
    from tickets.models import Escalation, Ticket

    @scope_rule(Escalation)
    def escalation_scope(queryset, user, action):
        roles = user_roles(user)
        if Role.ADMIN in roles:
            return queryset
        if action == "acknowledge":
            if roles & {str(r) for r in OVERSIGHT_ROLES}:
                return queryset.filter(reached_q(user) | Q(ticket__in=restrict(Ticket.objects.all(), user, "view")))
            return queryset.filter(reached_q(user))
        if not roles & {str(r) for r in TICKET_ROLES}:
            return queryset.filter(reached_q(user))
        return queryset.filter(reached_q(user) | Q(ticket__in=restrict(Ticket.objects.all(), user, "view")))


def can_acknowledge(user, escalation) -> bool:
    from portal.permissions import can

    return can(user, escalation, "acknowledge")
