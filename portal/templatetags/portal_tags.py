"""Template tags of the portal shell."""

from django import template
from django.utils.safestring import mark_safe

from portal import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_panels(context, ticket):
    """The panels higher apps registered for the ticket page (`portal.registry`), in order."""
    return mark_safe("".join(panel(context, ticket) or "" for panel in registry.ticket_panels()))
