"""Template tags of the portal shell."""

from django import template
from django.utils.safestring import mark_safe

from portal import pii as pii_rule
from portal import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_panels(context, ticket):
    """The panels higher apps registered for the ticket page (`portal.registry`), in order."""
    return mark_safe("".join(panel(context, ticket) or "" for panel in registry.ticket_panels()))


@register.simple_tag(takes_context=True)
def pii(context, obj, field, empty="—"):
    """A personal-data field of `obj`, masked, with a "show" button when the PII rule lets the
    user reveal it (`portal.pii.html`): `{% pii ticket "customer_phone" %}`."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return pii_rule.html(user, obj, field, empty=empty)
