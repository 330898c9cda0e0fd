"""Template tags of the portal shell."""

from django import template
from django.utils.safestring import mark_safe

from portal import formatting, icons, registry
from portal import pii as pii_rule

register = template.Library()


@register.simple_tag(takes_context=True)
def ticket_panels(context, ticket):
    """The panels higher apps registered for the ticket page (`portal.registry`), in order."""
    return mark_safe("".join(panel(context, ticket) or "" for panel in registry.ticket_panels()))


@register.simple_tag(takes_context=True)
def pii(context, obj, field, empty="—", call=False):
    """A personal-data field of `obj`, masked, with a "show" button when the PII rule lets the
    user reveal it (`portal.pii.html`): `{% pii ticket "customer_phone" %}`; `call=True` adds a
    click-to-call link to a phone."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return pii_rule.html(user, obj, field, empty=empty, call=call)


@register.simple_tag
def icon(name, label="", css=""):
    """An inline SVG icon (`portal/icons.py`): `{% icon "pause" _("paused") %}`."""
    return icons.icon(name, str(label), css)


@register.filter
def minutes(value):
    """A number of minutes in the active language: `{{ n|minutes }}` → "13 min" / "13 分钟"."""
    return formatting.duration(value)


@register.filter
def money(value):
    return formatting.money(value)


@register.filter
def local_datetime(value):
    return formatting.local_datetime(value)
