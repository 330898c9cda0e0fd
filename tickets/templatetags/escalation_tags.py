"""`{% ticket_escalations ticket %}`: the ticket page's escalation panel (who was notified over
which channel, delivery status, acknowledgement and the acknowledge button)."""

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("tickets/escalation_panel.html", takes_context=True)
def ticket_escalations(context, ticket):
    from tickets.views.escalations import ticket_escalations as load

    request = context["request"]
    return {"escalations": load(request.user, ticket, timezone.now()), "request": request}
