"""The texts of the tickets app's notifications, rendered in the reader's language
(`portal.notifications.message`). Parameters are stored with each notification: keep old
parameter names working when a text changes."""

from django.utils.translation import gettext as _

from portal.notifications import message
from tickets.escalation.recipients import escalation_digest_text


@message("tickets.assigned")
def assigned(p):
    return _("Ticket #%(id)s was assigned to you") % p, p.get("subject", "")


@message("tickets.reopened")
def reopened(p):
    return _("Ticket #%(id)s was reopened") % p, p.get("reason", "")


@message("tickets.customer_replied")
def customer_replied(p):
    return _("Customer replied on ticket #%(id)s") % p


@message("tickets.major_complaint")
def major_complaint(p):
    return _("Major complaint: ticket #%(id)s") % p


@message("tickets.transferred")
def transferred(p):
    return _("Ticket #%(id)s was transferred to %(queue)s") % p


message("tickets.escalation_digest")(escalation_digest_text)
